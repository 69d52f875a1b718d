"""createTag, tagCustomers, untagCustomers (many customers at once, all or nothing)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError, UserFacingError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from core.i18n import N_
from modules.crm.graphql.queries import CustomerFilterInput, customer_filter
from modules.crm.graphql.types import CustomerType, TagType
from modules.crm.services import customers
from modules.crm.services.search import filter_customers


@strawberry.input
class CreateTagInput:
    name: str
    colour: str | None = strawberry.field(default=None, description="#RRGGBB")


@strawberry.input(description="Give customerIds (at most 10,000) or a filter (every customer it matches).")
class TagCustomersInput:
    tag_ids: list[strawberry.ID]
    customer_ids: list[strawberry.ID] | None = None
    filter: CustomerFilterInput | None = None


@strawberry.type
class TagPayload:
    tag: TagType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TagCustomersPayload:
    changed: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _set(info: Info, input: TagCustomersInput, tagged: bool) -> TagCustomersPayload:
    async def run() -> int:
        principal = info.context.require_principal()
        tag_ids = [decode_id(t, TagType, "tagIds") for t in input.tag_ids]
        if (input.customer_ids is None) == (input.filter is None):
            raise UserFacingError("CUSTOMERS_OR_FILTER", N_("Give either customerIds or a filter."),
                                  field=["customerIds"], domain="crm")
        if input.filter is not None:
            matching = filter_customers(principal.tenant_id, await customer_filter(info, input.filter))
            return await customers.set_tags_matching(principal, tag_ids, matching, tagged)
        return await customers.set_tags(
            principal, tag_ids, [decode_id(c, CustomerType, "customerIds") for c in input.customer_ids or []], tagged)
    changed, errors = await attempt(info, run())
    return TagCustomersPayload(changed=changed or 0, errors=errors)


@strawberry.type
class TagMutations:
    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")])
    async def create_tag(self, info: Info, input: CreateTagInput) -> TagPayload:  # noqa: A002
        tag, errors = await attempt(info, customers.create_tag(info.context.require_principal(), input.name,
                                                               input.colour))
        return TagPayload(tag=TagType.from_row(tag) if tag else None, errors=errors)

    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")])
    async def tag_customers(self, info: Info, input: TagCustomersInput) -> TagCustomersPayload:  # noqa: A002
        return await _set(info, input, True)

    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")])
    async def untag_customers(self, info: Info, input: TagCustomersInput) -> TagCustomersPayload:  # noqa: A002
        return await _set(info, input, False)
