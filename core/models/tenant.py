"""A tenant is one merchant; every tenant-owned row carries it (and it is a Casbin domain)."""

from tortoise import fields
from tortoise.models import Model


class Tenant(Model):
    id = fields.BigIntField(primary_key=True)
    slug = fields.CharField(max_length=63, unique=True)
    name = fields.CharField(max_length=200)
    default_locale = fields.CharField(max_length=16, default="en")
    timezone = fields.CharField(max_length=64, default="UTC")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_tenant"


class TenantModel(Model):
    """Base of every tenant-owned model: reach its rows only through `core.tenancy.scoped`."""

    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "core.Tenant", related_name=False, on_delete=fields.CASCADE, db_index=True
    )
    tenant_id: int

    class Meta:
        abstract = True
