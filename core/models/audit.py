"""The append-only audit log: who did what to which object, before and after, and through what."""

from typing import Any

from tortoise import fields

from core.models.tenant import TenantModel


class AuditEntry(TenantModel):
    id = fields.BigIntField(primary_key=True)
    actor_id = fields.BigIntField(null=True)
    via = fields.CharField(max_length=16)
    action = fields.CharField(max_length=100)
    object_type = fields.CharField(max_length=100)
    object_id = fields.CharField(max_length=64)
    before: Any = fields.JSONField(null=True)
    after: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "core_audit_entry"
