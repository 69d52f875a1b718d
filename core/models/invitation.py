"""An invitation to join a tenant: membership exists only once the invitee accepts it.

The link carries a random token (256 bits) of which only the SHA-256 is stored; it expires and
is used once. Whoever holds it still has to prove the identity: set a password for a new account,
or give the password of the account the e-mail already has.
"""

from tortoise import fields

from core.models.tenant import TenantModel


class Invitation(TenantModel):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254)
    name = fields.CharField(max_length=200, default="")
    role_ids: list[int] = fields.JSONField(default=list)
    token_hash = fields.CharField(max_length=64, unique=True)
    invited_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    accepted_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    invited_by_id: int | None
    accepted_by_id: int | None

    class Meta:
        table = "core_invitation"
        indexes = (("tenant_id", "email"), ("tenant_id", "id"), ("invited_by_id",), ("accepted_by_id",))
