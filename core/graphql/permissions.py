"""Every root field declares who may call it: `Requires(resource, action)`, `Authenticated` or
`Public`. The schema builder refuses a root field without one of these."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from core.errors import ClientError
from core.i18n import N_


class SellercarePermission(BasePermission):
    """Marker base: the schema builder accepts only fields guarded by one of these."""

    message = "Forbidden"


class Public(SellercarePermission):
    """Anyone, logged in or not (login, refreshToken)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Authenticated(SellercarePermission):
    """Any member of a tenant (viewer, node: node types check their own permission)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()
        return True


async def held(info: Info) -> frozenset[tuple[str, str]]:
    """Every (resource, action) the caller holds. Read once per HTTP request (a page checks the
    same permission on every row); a websocket's context lives on, so it asks each time."""
    ctx = info.context
    principal = ctx.require_principal()
    if ctx.held is not None:
        return ctx.held
    permissions = await ctx.rt.access.permissions(principal.user_id, principal.tenant_id)
    if ctx.request is not None:
        ctx.held = permissions
    return permissions


async def check(info: Info, resource: str, action: str) -> None:
    """Raise FORBIDDEN unless the caller holds resource:action in its tenant."""
    ctx = info.context
    if (resource, action) not in await held(info):
        raise ClientError(
            "FORBIDDEN", N_("You lack the permission {permission}."), ctx.locale,
            permission=f"{resource}:{action}",
        )


# Field metadata key: this field leads to a Node type but must not be checked against that type's
# permission (schema/nested_permissions.py), e.g. the caller's own user in `viewer`. The value says why.
UNGUARDED = "sellercare.unguarded"

_cache: dict[tuple[str, str], type[SellercarePermission]] = {}


def Requires(resource: str, action: str) -> type[BasePermission]:  # noqa: N802
    """The permission class for `resource:action` (one class per pair, reused)."""
    key = (resource, action)
    if key not in _cache:

        async def has_permission(self: Any, source: Any, info: Info, **kwargs: Any) -> bool:
            await check(info, resource, action)
            return True

        _cache[key] = type(
            f"Requires_{resource}_{action}".replace(".", "_"),
            (SellercarePermission,),
            {"has_permission": has_permission, "resource": resource, "action": action},
        )
    return _cache[key]
