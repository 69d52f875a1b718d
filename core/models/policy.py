"""Casbin's policy lines, kept in our own table, and the roles they name.

`p` rows: (v0=role, domain, v1=resource, v2=action); `g` rows: (v0=user, v1=role, domain).
A domain is a tenant id, or `*` for the default roles that modules ship for every tenant.
"""

from tortoise import fields
from tortoise.models import Model


class PolicyRule(Model):
    id = fields.BigIntField(primary_key=True)
    ptype = fields.CharField(max_length=2)
    domain = fields.CharField(max_length=32, db_index=True)
    v0 = fields.CharField(max_length=128)
    v1 = fields.CharField(max_length=128)
    v2 = fields.CharField(max_length=128, default="")
    module = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "core_policy"
        unique_together = (("ptype", "domain", "v0", "v1", "v2"),)


class Role(Model):
    """A role: a default one (tenant null, shipped by a module) or a tenant's own."""

    id = fields.BigIntField(primary_key=True)
    tenant: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.Tenant", related_name="roles", null=True, on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64)
    description = fields.CharField(max_length=500, default="")
    module = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    tenant_id: int | None

    class Meta:
        table = "core_role"
        unique_together = (("tenant", "name"),)
