"""API keys for scripts and partners: shown once, stored as a hash, acting as their user."""

from tortoise import fields

from core.models.tenant import TenantModel


class ApiKey(TenantModel):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.User", related_name="api_keys", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16, unique=True)
    secret_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    user_id: int

    class Meta:
        table = "core_api_key"
        indexes = (("user_id",),)  # foreign keys (tests/test_indexes.py)
