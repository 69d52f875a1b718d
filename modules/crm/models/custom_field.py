"""Custom fields: typed definitions per tenant; customers' values (Customer.custom_fields) are checked
against them (modules/crm/services/custom_fields.py)."""

from typing import Any

from tortoise import fields

from core.models import TenantModel

FIELD_TYPES = ("text", "number", "boolean", "date", "choice")


class CustomField(TenantModel):
    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=40)
    label = fields.CharField(max_length=100)
    type = fields.CharField(max_length=16)
    choices: Any = fields.JSONField(default=list)
    required = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "crm_custom_field"
        unique_together = (("tenant", "key"),)
