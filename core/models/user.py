"""Users are global identities (one person may work for several merchants); a Membership puts one
in a tenant and holds what that tenant knows of them: the name it shows, the last login there, and
the time before which every access token for that tenant is void."""

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200, default="")
    password_hash = fields.CharField(max_length=255, default="")
    locale = fields.CharField(max_length=16, null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_user"


class Membership(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="memberships", on_delete=fields.CASCADE
    )
    tenant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Tenant", related_name="memberships", on_delete=fields.CASCADE
    )
    is_active = fields.BooleanField(default=True)
    name = fields.CharField(max_length=200, default="", db_default="")
    last_login_at = fields.DatetimeField(null=True)
    # Access tokens for this user and tenant issued before this time are refused (logout, a stolen
    # refresh token, deactivation): checked where authentication reads the membership anyway.
    revoked_before = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    user_id: int
    tenant_id: int

    class Meta:
        table = "core_membership"
        unique_together = (("user", "tenant"),)
        indexes = (("tenant_id", "user_id"),)
