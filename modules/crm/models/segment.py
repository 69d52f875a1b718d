"""Segments: a named rule over customers (modules/crm/services/rules.py), evaluated in SQL."""

from typing import Any

from tortoise import fields

from core.models import TenantModel


class Segment(TenantModel):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    rule: Any = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "crm_segment"
        unique_together = (("tenant", "name"),)
