"""The one way to reach tenant-owned rows: every query starts from `scoped(Model, tenant_id)`."""

from __future__ import annotations

from typing import TypeVar

from tortoise.queryset import QuerySet

from core.models.tenant import TenantModel

M = TypeVar("M", bound=TenantModel)


def scoped(model: type[M], tenant_id: int) -> QuerySet[M]:
    """A queryset of `model` limited to one tenant; refuses models that are not tenant-owned."""
    if not (isinstance(model, type) and issubclass(model, TenantModel)):
        raise TypeError(f"{model!r} is not a tenant-owned model")
    if not isinstance(tenant_id, int) or isinstance(tenant_id, bool):
        raise TypeError("tenant_id must be an int")
    return model.filter(tenant_id=tenant_id)
