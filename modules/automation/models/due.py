"""A firing that waits for its time: an offset rule's ("3 days after delivered") or a schedule's slot.

Kept in the database, never only in Redis, so a restart or a flushed Redis loses none: the time
scan (services/time_scan.py) finds rows whose `due_at` has passed, on the (due_at, id) index,
fires each once (the RuleFiring's unique (rule, cause_key), written in the same transaction as the
actions' effects and this row's deletion) and deletes it.
"""

from typing import Any

from tortoise import fields

from core.models import TenantModel
from modules.automation.models.rule import Rule

CAUSES = ("offset", "schedule")


class DueFiring(TenantModel):
    """`cause_key` is the firing's cause: "event:<id>:+4320m" (the event and the offset) or
    "schedule:<slot in UTC>". `data` is the event's payload as it was (no contact data: the trigger
    contract keeps it out), read again through the trigger's `current` when it fires."""

    id = fields.BigIntField(primary_key=True)
    rule: fields.ForeignKeyRelation[Rule] = fields.ForeignKeyField(
        "automation.Rule", related_name="due_firings", on_delete=fields.CASCADE)
    rule_id: int
    cause = fields.CharField(max_length=16)  # CAUSES
    cause_key = fields.CharField(max_length=100)
    due_at = fields.DatetimeField()
    event_id = fields.UUIDField(null=True)
    data: Any = fields.JSONField(default=dict)
    depth = fields.IntField(default=0)  # the chain depth of the event behind it
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "automation_due_firing"
        unique_together = (("rule", "cause_key"),)
        indexes = (("due_at", "id"),)  # the time scan: what is due, oldest first
