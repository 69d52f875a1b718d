"""Macros (canned replies): a named reply with one variant per language, and actions applied with it."""

from typing import Any

from tortoise import fields

from core.models import TenantModel


class Macro(TenantModel):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    active = fields.BooleanField(default=True)
    # {"status": str | None, "add_tags": [str], "priority": str | None}, validated on save
    actions: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "aftersales_macro"
        unique_together = (("tenant", "name"),)


class MacroVariant(TenantModel):
    """The reply in one language: `body` and `subject` are templates checked at save time."""

    id = fields.BigIntField(primary_key=True)
    macro: fields.ForeignKeyRelation[Macro] = fields.ForeignKeyField(
        "aftersales.Macro", related_name="variants", on_delete=fields.CASCADE)
    language = fields.CharField(max_length=16)
    subject = fields.CharField(max_length=255, null=True)
    body = fields.TextField()
    macro_id: int

    class Meta:
        table = "aftersales_macro_variant"
        unique_together = (("macro", "language"),)
