"""Read side of the team module."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.types import Info
from tortoise.expressions import Q, Subquery

from core import invitations as invitation_service
from core import models
from core.access.admin import visible_roles
from core.access.subjects import domain, role_subject
from core.errors import UserFacingError
from core.graphql.node import decode_id
from core.graphql.pagination import Connection, Ordering, SortDirection, page_size, paginate
from core.graphql.permissions import Authenticated, Public, Requires
from core.tenancy import scoped
from modules.team import models as team_models
from modules.team.graphql import dataloaders
from modules.team.graphql.types import (
    ApiKeyType,
    AuditEntryType,
    InvitationPreviewType,
    InvitationType,
    PermissionType,
    RoleType,
    TeamType,
    TenantType,
    UserType,
    Viewer,
)


@strawberry.enum
class UserOrderField(Enum):
    EMAIL = "email"
    NAME = "member_name"
    CREATED_AT = "created_at"


@strawberry.input
class UserOrder:
    field: UserOrderField = UserOrderField.EMAIL
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class UserFilter:
    search: str | None = strawberry.field(default=None, description="Part of e-mail or name.")
    role_id: strawberry.ID | None = None
    is_active: bool | None = None


@strawberry.input
class AuditFilter:
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None


def _size(info: Info, first: int | None) -> int:
    s = info.context.rt.settings
    return page_size(first, s.default_page_size, s.max_page_size, info.context.locale)


@strawberry.type
class TeamQuery:
    @strawberry.field(permission_classes=[Authenticated], description="Who is calling, where.")
    async def viewer(self, info: Info) -> Viewer:
        principal = info.context.require_principal()
        user = await UserType.scope(principal.tenant_id).get(id=principal.user_id)
        tenant = await models.Tenant.get(id=principal.tenant_id)
        perms = await info.context.rt.access.permissions(principal.user_id, principal.tenant_id)
        return Viewer(
            user=UserType.from_row(user),
            tenant=TenantType(slug=tenant.slug, name=tenant.name,
                              default_locale=tenant.default_locale, timezone=tenant.timezone),
            permissions=sorted(f"{r}:{a}" for r, a in perms),
        )

    @strawberry.field(permission_classes=[Requires("team.user", "read")])
    async def users(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: UserFilter | None = None, order_by: UserOrder | None = None,  # noqa: A002
    ) -> Connection[UserType]:
        tid = info.context.tenant_id
        qs = UserType.scope(tid)
        if filter:
            if filter.search:
                term = filter.search.strip()
                named = models.Membership.filter(tenant_id=tid, name__icontains=term)
                qs = qs.filter(Q(email__icontains=term) | Q(id__in=Subquery(named.values("user_id"))))
            if filter.is_active is not None:
                members = models.Membership.filter(tenant_id=tid, is_active=filter.is_active)
                qs = qs.filter(id__in=Subquery(members.values("user_id")))
            if filter.role_id is not None:
                role = await visible_roles(tid).filter(
                    id=decode_id(filter.role_id, RoleType, "roleId")).first()
                subjects = await models.PolicyRule.filter(
                    ptype="g", domain=domain(tid),
                    v1=role_subject(role.name) if role else "",
                ).values_list("v0", flat=True)
                qs = qs.filter(id__in=[int(str(s).split(":")[1]) for s in subjects])
        order = order_by or UserOrder()
        return await paginate(
            qs.only(*dataloaders.SHOWN), first=_size(info, first), after=after,
            ordering=Ordering(order.field.value, order.direction == SortDirection.DESC),
            to_node=UserType.from_row, locale=info.context.locale,
        )

    @strawberry.field(permission_classes=[Requires("team.user", "read")],
                      description="Invitations, newest first; `pending` keeps the ones still usable.")
    async def invitations(
        self, info: Info, first: int | None = None, after: str | None = None, pending: bool = False,
    ) -> Connection[InvitationType]:
        tid = info.context.tenant_id
        qs = invitation_service.pending(tid).filter(expires_at__gt=datetime.now(UTC)) if pending \
            else scoped(models.Invitation, tid)
        return await paginate(
            qs, first=_size(info, first), after=after, ordering=Ordering("id", descending=True),
            to_node=InvitationType.from_row, locale=info.context.locale,
        )

    @strawberry.field(permission_classes=[Public],
                      description="What an invitation link offers; null when it is not valid (any reason).")
    async def invitation_preview(self, token: str) -> InvitationPreviewType | None:
        try:
            found = await invitation_service.preview(token)
        except UserFacingError:
            return None
        return InvitationPreviewType(tenant_name=found.tenant_name, email=found.email, name=found.name,
                                     expires_at=found.expires_at, has_account=found.has_account)

    @strawberry.field(permission_classes=[Requires("team.apikey", "read")],
                      description="The tenant's API keys, newest first (revoked ones included).")
    async def api_keys(
        self, info: Info, first: int | None = None, after: str | None = None,
    ) -> Connection[ApiKeyType]:
        return await paginate(
            scoped(models.ApiKey, info.context.tenant_id), first=_size(info, first), after=after,
            ordering=Ordering("id", descending=True), to_node=ApiKeyType.from_row, locale=info.context.locale,
        )

    @strawberry.field(permission_classes=[Requires("team.role", "read")])
    async def roles(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[RoleType]:
        return await paginate(
            RoleType.scope(info.context.tenant_id), first=_size(info, first), after=after,
            ordering=Ordering("name"), to_node=RoleType.from_row, locale=info.context.locale,
        )

    @strawberry.field(
        permission_classes=[Requires("team.role", "read")],
        description="Every permission the installed modules declare, labelled for admin screens.",
    )
    def permissions(self, info: Info) -> list[PermissionType]:
        rt, locale = info.context.rt, info.context.locale
        return [PermissionType.build(p, m.name, locale) for m in rt.modules for p in m.permissions]

    @strawberry.field(permission_classes=[Requires("team.team", "read")])
    async def teams(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TeamType]:
        return await paginate(
            scoped(team_models.Team, info.context.tenant_id), first=_size(info, first),
            after=after, ordering=Ordering("name"), to_node=TeamType.from_row,
            locale=info.context.locale,
        )

    @strawberry.field(permission_classes=[Requires("team.audit", "read")],
                      description="Newest first.")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: AuditFilter | None = None,  # noqa: A002
    ) -> Connection[AuditEntryType]:
        qs = scoped(models.AuditEntry, info.context.tenant_id)
        if filter:
            for name in ("action", "object_type", "object_id"):
                value = getattr(filter, name)
                if value is not None:
                    qs = qs.filter(**{name: value})
        return await paginate(
            qs, first=_size(info, first), after=after, ordering=Ordering("id", descending=True),
            to_node=AuditEntryType.from_row, locale=info.context.locale,
        )
