"""A tenant's rule: on an event (its trigger), when its conditions hold, run its actions in order."""

from typing import Any

from tortoise import fields

from core.models import TenantModel


class Rule(TenantModel):
    """Rules of one trigger run by position (then id), the enabled ones only. With `offset_minutes`
    a rule fires that long after (negative: before) its event's time, or the moment in the event's
    datetime field `offset_from`; a rule on automation.schedule fires at each slot of `schedule`
    (services/schedules.py). Either way its firings wait in DueFiring until they are due."""

    id = fields.BigIntField(primary_key=True)
    trigger = fields.CharField(max_length=100)  # an event topic a module declares (core.automation)
    description = fields.CharField(max_length=500, default="")
    conditions: Any = fields.JSONField(default=dict)  # core/conditions.py; {} always holds
    actions: Any = fields.JSONField(default=list)  # [{"action": "crm.add_tag", "params": {...}}]
    position = fields.IntField(default=0)
    enabled = fields.BooleanField(default=True)
    offset_minutes = fields.IntField(null=True)  # None: fires on its event
    offset_from = fields.CharField(max_length=100, default="", db_default="")  # a datetime field; "": the event's time
    schedule: Any = fields.JSONField(null=True)  # {"every": "week", "on": ["mon"], "at": "09:00"}
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "automation_rule"
        indexes = (("tenant_id", "trigger", "position"), ("tenant_id", "position"))
