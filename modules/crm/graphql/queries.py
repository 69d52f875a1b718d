"""Read side of the crm module."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from core import money
from core.errors import ClientError, UserFacingError
from core.graphql.node import decode_id
from core.graphql.pagination import Connection, Ordering, SortDirection, page_size, paginate
from core.graphql.permissions import Requires
from core.models.tenant import TenantModel
from core.tenancy import scoped
from modules.crm import models
from modules.crm.graphql.prefetch import prefetch_customers
from modules.crm.graphql.segments import SegmentType
from modules.crm.graphql.types import CustomerType, SalesChannelType, TagType
from modules.crm.services import segments
from modules.crm.services import values as coded
from modules.crm.services.search import CustomerFilter, filter_customers

READ = [Requires("crm.customer", "read")]


@strawberry.enum
class CustomerOrderField(Enum):
    NAME = "display_name"
    CREATED_AT = "created_at"


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class SpendRange:
    currency: str
    min: Decimal | None = None
    max: Decimal | None = None


@strawberry.input
class DateRange:
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None


@strawberry.input(description="All conditions must hold; a list matches any of its values.")
class CustomerFilterInput:
    search: str | None = strawberry.field(
        default=None, description="Part of the name, or an exact e-mail, phone or order number.")
    countries: list[str] | None = None
    languages: list[str] | None = None
    tag_ids: list[strawberry.ID] | None = None
    tiers: list[str] | None = None
    stages: list[str] | None = None
    channel_ids: list[strawberry.ID] | None = None
    spend: SpendRange | None = None
    last_order: DateRange | None = None
    segment_id: strawberry.ID | None = strawberry.field(default=None, description="Customers the segment's "
                                                         "rule selects now.")


def to_filter(info: Info, f: CustomerFilterInput | None) -> CustomerFilter:
    """The service's filter from GraphQL input; bad values are the client's error.

    Countries, languages, tiers, stages and the spend currency are checked and normalised as createCustomer
    checks them (services/values.py): `de` finds the customers stored `DE`, while `XX` or tier `platinum`
    is an error with the code a mutation gives (INVALID_COUNTRY, INVALID_CHOICE...), not an empty result.
    """
    if f is None:
        return CustomerFilter()
    try:
        result = CustomerFilter(
            search=f.search, countries=coded.each(coded.country, f.countries, ["countries"]),
            languages=coded.each(coded.language, f.languages, ["languages"]),
            tiers=coded.each(coded.tier, f.tiers, ["tiers"]), stages=coded.each(coded.stage, f.stages, ["stages"]),
            tag_ids=[decode_id(t, TagType, "tagIds") for t in f.tag_ids or []] or None,
            channel_ids=[decode_id(c, SalesChannelType, "channelIds") for c in f.channel_ids or []] or None)
        if f.spend:
            result.spend_currency = coded.currency(f.spend.currency, ["spend", "currency"])
            if f.spend.min is not None:
                result.spend_min = money.to_minor(f.spend.min, result.spend_currency, ["spend", "min"])
            if f.spend.max is not None:
                result.spend_max = money.to_minor(f.spend.max, result.spend_currency, ["spend", "max"])
        if f.last_order:
            result.last_order_from, result.last_order_to = f.last_order.from_, f.last_order.to
    except UserFacingError as exc:
        error = ClientError(exc.code, exc.message, info.context.locale, exc.domain, **exc.params)
        if exc.field:
            error.extensions = {**(error.extensions or {}), "field": ["filter", *exc.field]}
        raise error from None
    return result


async def customer_filter(info: Info, f: CustomerFilterInput | None) -> CustomerFilter:
    """to_filter, plus the segment's rule when the filter names one (a segment of another tenant is not found)."""
    result = to_filter(info, f)
    if f is not None and f.segment_id is not None:
        try:
            segment = await segments.get_segment(info.context.tenant_id, decode_id(f.segment_id, SegmentType,
                                                                                   "segmentId"), "segmentId")
        except UserFacingError as exc:
            raise ClientError(exc.code, exc.message, info.context.locale, exc.domain, **exc.params) from None
        result.segment_rule = segment.rule
    return result


@strawberry.type
class CrmQuery:
    @strawberry.field(permission_classes=READ)
    async def customers(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: CustomerFilterInput | None = None, order_by: CustomerOrder | None = None,  # noqa: A002
    ) -> Connection[CustomerType]:
        ctx = info.context
        order = order_by or CustomerOrder()
        s = ctx.rt.settings
        page = await paginate(
            filter_customers(ctx.tenant_id, await customer_filter(info, filter), ctx.tenant_region),
            first=page_size(first, s.default_page_size, s.max_page_size, ctx.locale), after=after,
            ordering=Ordering(order.field.value, order.direction == SortDirection.DESC),
            to_node=CustomerType.from_row, locale=ctx.locale)
        await prefetch_customers(info, [edge.node for edge in page.edges])
        return page

    @strawberry.field(permission_classes=READ, description="The 360 view of one customer.")
    async def customer(self, info: Info, id: strawberry.ID) -> CustomerType | None:  # noqa: A002
        (node,) = await CustomerType.resolve_nodes(info=info, node_ids=[_node_id(id)])
        return node

    @strawberry.field(permission_classes=READ, description="The account's tags, by name.")
    async def tags(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[TagType]:
        return await _by_name(info, models.Tag, TagType, first, after)

    @strawberry.field(permission_classes=READ, description="The account's sales channels, by name.")
    async def sales_channels(self, info: Info, first: int | None = None, after: str | None = None
                             ) -> Connection[SalesChannelType]:
        return await _by_name(info, models.SalesChannel, SalesChannelType, first, after)


async def _by_name(info: Info, model: type[TenantModel], node: type[TagType] | type[SalesChannelType],
                   first: int | None, after: str | None) -> Connection[Any]:
    """One page of a tenant's named rows (tags, sales channels): keyset on (name, id)."""
    ctx = info.context
    s = ctx.rt.settings
    return await paginate(scoped(model, ctx.tenant_id), first=page_size(first, s.default_page_size, s.max_page_size,
                                                                       ctx.locale),
                          after=after, ordering=Ordering("name"), to_node=node.from_row, locale=ctx.locale)

def _node_id(global_id: strawberry.ID) -> str:
    try:
        return str(decode_id(global_id, CustomerType, "id"))
    except UserFacingError:
        return "invalid"
