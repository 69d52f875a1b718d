"""Refresh tokens: stored hashed, rotated on every use; a reused one revokes its whole family."""

from tortoise import fields
from tortoise.models import Model


class RefreshToken(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    tenant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Tenant", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    family = fields.UUIDField(db_index=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    user_id: int
    tenant_id: int

    class Meta:
        table = "core_refresh_token"
        indexes = (("tenant_id", "user_id"),)  # foreign keys (tests/test_indexes.py)
