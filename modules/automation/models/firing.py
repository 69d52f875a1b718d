"""One firing of a rule: what caused it, how it went, which actions ran.

`cause_key` names the cause ("event:<id>" today; a schedule's run later) and is unique per rule:
the row is written in the same transaction as the actions' effects, so a redelivered event, a
retry or a worker killed mid-firing never fires a rule twice for one cause.
"""

from typing import Any

from tortoise import fields

from core.models import TenantModel
from modules.automation.models.rule import Rule

RESULTS = ("done", "failed", "stopped")


class RuleFiring(TenantModel):
    id = fields.BigIntField(primary_key=True)
    rule: fields.ForeignKeyRelation[Rule] = fields.ForeignKeyField(
        "automation.Rule", related_name="firings", on_delete=fields.CASCADE)
    rule_id: int
    cause = fields.CharField(max_length=16, default="event")
    cause_key = fields.CharField(max_length=100)
    event_id = fields.UUIDField(null=True)
    result = fields.CharField(max_length=16)  # RESULTS
    error = fields.CharField(max_length=100, default="")  # a code, never a message with data in it
    actions: Any = fields.JSONField(default=list)  # [{"action": name, "state": done|failed|undone|skipped}]
    depth = fields.IntField(default=0)  # the chain depth of the event that caused it
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "automation_rule_firing"
        unique_together = (("rule", "cause_key"),)
        indexes = (("rule_id", "id"),)  # a rule's firings, newest first (ruleFirings)
