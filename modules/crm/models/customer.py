"""A customer: one person, whichever platforms they bought on."""

from typing import Any

from tortoise import fields

from core.models import TenantModel

TIERS = ("standard", "silver", "gold", "vip")
STAGES = ("new", "active", "at_risk", "churned", "vip")


class Customer(TenantModel):
    id = fields.BigIntField(primary_key=True)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    display_name = fields.CharField(max_length=201, default="", db_index=True)
    country = fields.CharField(max_length=2, null=True)
    language = fields.CharField(max_length=35, null=True)
    timezone = fields.CharField(max_length=64, null=True)
    currency = fields.CharField(max_length=3, null=True)
    birthday = fields.DateField(null=True)
    marketing_consent = fields.BooleanField(default=False)
    consent_at = fields.DatetimeField(null=True)
    consent_source = fields.CharField(max_length=50, default="")
    tier = fields.CharField(max_length=16, default="standard")
    stage = fields.CharField(max_length=16, default="new")
    custom_fields: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Set when this record was merged into another customer (modules/crm/services/merge.py): it then
    # leaves lists and searches but still resolves by id, pointing at where its data went.
    merged_into: fields.ForeignKeyNullableRelation["Customer"] = fields.ForeignKeyField(
        "crm.Customer", related_name="merged_sources", null=True, on_delete=fields.RESTRICT)
    merged_into_id: int | None

    class Meta:
        table = "crm_customer"
        # tortoise ignores db_index on a foreign key; pages sort by (created_at, id) or (display_name, id).
        indexes = (("merged_into_id",), ("tenant_id", "created_at", "id"), ("tenant_id", "display_name", "id"))
