"""Priority rules: the tenant's ordered list of "when these conditions hold, the ticket is this urgent".

`conditions` is the shared condition language (modules/aftersales/services/routing/conditions.py), stored already
validated and normalised, so matching never re-checks it.
"""

from typing import Any

from tortoise import fields

from core.models import TenantModel


class PriorityRule(TenantModel):
    id = fields.BigIntField(primary_key=True)
    position = fields.IntField()  # first matching active rule (lowest position) wins
    name = fields.CharField(max_length=100)
    conditions: Any = fields.JSONField(default=dict)
    priority = fields.CharField(max_length=8)  # low | normal | high | urgent
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "aftersales_priority_rule"
        indexes = (("tenant_id", "position"),)
