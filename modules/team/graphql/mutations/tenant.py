"""updateTenant: the merchant account's name, default language and time zone."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core import identity
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.permissions import Requires
from modules.team.graphql.types import TenantType


@strawberry.input
class UpdateTenantInput:
    name: str | None = None
    default_locale: str | None = strawberry.field(default=None, description="A BCP 47 tag, e.g. de-DE.")
    timezone: str | None = strawberry.field(default=None, description="An IANA zone, e.g. Asia/Shanghai.")


@strawberry.type
class TenantPayload:
    tenant: TenantType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TenantMutations:
    @strawberry.mutation(permission_classes=[Requires("team.tenant", "write")])
    async def update_tenant(self, info: Info, input: UpdateTenantInput) -> TenantPayload:  # noqa: A002
        tenant, errors = await attempt(info, identity.update_tenant(
            info.context.require_principal(), input.name, input.default_locale, input.timezone))
        if tenant is None:
            return TenantPayload(errors=errors)
        return TenantPayload(tenant=TenantType(slug=tenant.slug, name=tenant.name,
                                               default_locale=tenant.default_locale,
                                               timezone=tenant.timezone))
