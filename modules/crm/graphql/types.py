"""GraphQL types of the crm module. Contact data is masked for callers without
crm.customer.pii:read."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import ClientError
from core.graphql.loaders import load_node
from core.graphql.money import Money
from core.graphql.nested_pages import nested_connection
from core.graphql.node import ScopedNode
from core.graphql.pagination import Connection, Ordering, page_size
from core.graphql.selection import prefetched_or
from core.i18n import N_
from core.masking import mask_email, mask_phone, mask_text
from modules.crm import models
from modules.crm.graphql import dataloaders
from modules.crm.graphql.timeline import TimelineEventType, resolve_timeline
from modules.crm.services.addresses import MAX_PER_CUSTOMER as MAX_ADDRESSES
from modules.crm.services.channels import credential_keys

MAX_RECENT_ORDERS = 20


@strawberry.enum
class Platform(Enum):
    SHOPIFY = "shopify"
    AMAZON = "amazon"
    EBAY = "ebay"
    WOOCOMMERCE = "woocommerce"
    MANUAL = "manual"


@strawberry.type(name="Tag")
class TagType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    colour: str
    read_permission = ("crm.customer", "read")
    model = models.Tag

    @classmethod
    def from_row(cls, row: models.Tag) -> Self:
        return cls(id=row.id, name=row.name, colour=row.colour)


@strawberry.type(name="SalesChannel", description="Credentials are stored encrypted and never returned.")
class SalesChannelType(ScopedNode):
    id: relay.NodeID[int]
    platform: Platform
    name: str
    read_permission = ("crm.customer", "read")
    model = models.SalesChannel


    has_credentials: bool = False
    credential_keys: list[str] = strawberry.field(default_factory=list,
                                                  description="The names of the stored credentials, never values.")
    order_number_format: str = strawberry.field(default="", description=(
        "How its order numbers look in a buyer's mail ({n}: n digits); empty: none."))

    @classmethod
    def from_row(cls, row: models.SalesChannel) -> Self:
        keys = credential_keys(row)
        return cls(id=row.id, platform=Platform(row.platform), name=row.name, has_credentials=bool(keys),
                   credential_keys=keys, order_number_format=row.order_number_format)


@strawberry.type
class CustomerIdentity:
    read_permission = ("crm.customer", "read")  # reached only through a customer
    channel: SalesChannelType
    external_id: str


@strawberry.type(description="Name, street lines and postcode masked without crm.customer.pii:read.")
class PostalAddress(ScopedNode):
    id: relay.NodeID[int]
    kind: str
    city: str
    region: str
    country: str
    is_default: bool = strawberry.field(description="The customer's default address of this kind.")
    row: strawberry.Private[models.Address]
    read_permission = ("crm.customer", "read")
    model = models.Address

    @classmethod
    def from_row(cls, row: models.Address) -> Self:
        return cls(id=row.id, kind=row.kind, city=row.city, region=row.region, country=row.country,
                   is_default=row.is_default, row=row)

    async def _show(self, info: Info, value: str | None) -> str | None:
        return value if await dataloaders.can_see_pii(info) else mask_text(value)

    @strawberry.field
    async def name(self, info: Info) -> str | None:
        return await self._show(info, self.row.name)

    @strawberry.field
    async def line1(self, info: Info) -> str:
        return await self._show(info, self.row.line1) or ""

    @strawberry.field
    async def line2(self, info: Info) -> str | None:
        return await self._show(info, self.row.line2)

    @strawberry.field
    async def postal_code(self, info: Info) -> str | None:
        return await self._show(info, self.row.postal_code)


@strawberry.type
class MarketingConsent:
    granted: bool
    at: datetime | None
    source: str


@strawberry.type
class OrderLineType:
    id: strawberry.ID = strawberry.field(description="The line's id within its order (returns name lines by it).")
    sku: str
    name: str
    quantity: int
    unit_price: Money


def _money_field(column: str) -> Any:
    """A Money field read from one amount column of the order (minor units, in the order's currency)."""
    def resolve(root: OrderType, info: Info) -> Money:
        return Money.of(getattr(root.row, column), root.row.currency, info.context.format_locale)
    return strawberry.field(resolver=resolve)


@strawberry.type(name="Order")
class OrderType(ScopedNode):
    id: relay.NodeID[int]
    number: str
    status: str
    external_id: str | None
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    carrier: str
    tracking_number: str
    total: Money = _money_field("total")
    subtotal: Money = _money_field("subtotal")
    shipping: Money = _money_field("shipping")
    tax: Money = _money_field("tax")
    discount: Money = _money_field("discount")
    row: strawberry.Private[models.Order]
    read_permission = ("crm.customer", "read")
    model = models.Order

    @classmethod
    def from_row(cls, row: models.Order) -> Self:
        return cls(id=row.id, number=row.number, status=row.status, external_id=row.external_id,
                   placed_at=row.placed_at, paid_at=row.paid_at, shipped_at=row.shipped_at,
                   delivered_at=row.delivered_at, carrier=row.carrier, tracking_number=row.tracking_number,
                   row=row)

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLineType]:
        locale = info.context.format_locale
        return [OrderLineType(id=strawberry.ID(str(line.id)), sku=line.sku, name=line.name, quantity=line.quantity,
                              unit_price=Money.of(line.unit_price, line.currency, locale))
                for line in await dataloaders.order_lines(info).load(self.id)]

    @strawberry.field(description="Who placed it; null for an order without a customer (a guest checkout).")
    async def customer(self, info: Info) -> CustomerType | None:
        return await load_node(dataloaders.customers(info), self.row.customer_id, CustomerType)


@strawberry.type(description="RFM quintiles, 5 = best; recomputed nightly from the orders.")
class RfmScore:
    recency: int
    frequency: int
    monetary: int
    order_count: int
    last_order_at: datetime
    computed_at: datetime


@strawberry.type
class CustomerStats:
    order_count: int
    total_spent: list[Money] = strawberry.field(description="One amount per currency bought in.")
    average_order_value: list[Money]
    first_order_at: datetime | None
    last_order_at: datetime | None


@strawberry.type(name="Note", description="An agent's note on a customer.")
class NoteType(ScopedNode):
    id: relay.NodeID[int]
    body: str
    author_id: strawberry.Private[int | None]
    created_at: datetime
    read_permission = ("crm.customer", "read")
    model = models.Note

    @classmethod
    def from_row(cls, row: models.Note) -> Self:
        return cls(id=row.id, body=row.body, author_id=row.author_id, created_at=row.created_at)


@strawberry.type(name="Customer")
class CustomerType(ScopedNode):
    id: relay.NodeID[int]
    first_name: str
    last_name: str
    display_name: str
    country: str | None
    language: str | None
    timezone: str | None
    currency: str | None
    birthday: date | None
    tier: str
    stage: str
    custom_fields: JSON
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Customer]
    # What a list's resolver loaded for the whole page (crm.graphql.prefetch): field -> value.
    prefetched: strawberry.Private[dict[Any, Any]] = dataclasses.field(default_factory=dict)
    read_permission = ("crm.customer", "read")
    model = models.Customer

    @classmethod
    def from_row(cls, row: models.Customer) -> Self:
        return cls(id=row.id, first_name=row.first_name, last_name=row.last_name,
                   display_name=row.display_name, country=row.country, language=row.language,
                   timezone=row.timezone, currency=row.currency, birthday=row.birthday, tier=row.tier,
                   stage=row.stage, custom_fields=row.custom_fields, created_at=row.created_at,
                   updated_at=row.updated_at, row=row)

    @strawberry.field(description="Set when this customer was merged into another: its data is there now.")
    async def merged_into(self, info: Info) -> CustomerType | None:
        if self.row.merged_into_id is None:
            return None
        (target,) = await CustomerType.resolve_nodes(info=info, node_ids=[str(self.row.merged_into_id)])
        return target

    @strawberry.field
    def marketing_consent(self) -> MarketingConsent:
        return MarketingConsent(granted=self.row.marketing_consent, at=self.row.consent_at,
                                source=self.row.consent_source)

    async def _contacts(self, info: Info, kind: str) -> list[str]:
        values = [c.value for c in await dataloaders.contacts(info, kind).load(self.id)]
        if await dataloaders.can_see_pii(info):
            return values
        return [mask_email(v) if kind == "email" else mask_phone(v) for v in values]

    # The fields a list loads up front are sync: a prefetched value is returned as it is, else the
    # awaitable of the one-customer way (graphql-core awaits what a resolver returns).
    @strawberry.field(description="Masked (j***@example.com) without crm.customer.pii:read.")
    def emails(self, info: Info) -> list[str]:
        return cast(list[str], prefetched_or(self.prefetched, "emails", lambda: self._contacts(info, "email")))

    @strawberry.field(description="E.164; masked without crm.customer.pii:read.")
    def phones(self, info: Info) -> list[str]:
        return cast(list[str], prefetched_or(self.prefetched, "phones", lambda: self._contacts(info, "phone")))

    async def _addresses(self, info: Info) -> list[PostalAddress]:
        return [PostalAddress.from_row(a) for a in await dataloaders.addresses(info).load(self.id)]

    @strawberry.field(description=f"At most {MAX_ADDRESSES} per customer. Street, postcode and name masked "
                                  "without crm.customer.pii:read.")
    def addresses(self, info: Info) -> list[PostalAddress]:
        return cast(list[PostalAddress], prefetched_or(self.prefetched, "addresses", lambda: self._addresses(info)))

    @strawberry.field(description="The default shipping address: for a list, instead of every address.")
    async def default_shipping_address(self, info: Info) -> PostalAddress | None:
        return await load_node(dataloaders.default_address(info, "shipping"), self.id, PostalAddress)

    @strawberry.field(description="The default billing address.")
    async def default_billing_address(self, info: Info) -> PostalAddress | None:
        return await load_node(dataloaders.default_address(info, "billing"), self.id, PostalAddress)

    @strawberry.field
    async def identities(self, info: Info) -> list[CustomerIdentity]:
        return [CustomerIdentity(channel=SalesChannelType.from_row(i.channel), external_id=i.external_id)
                for i in await dataloaders.identities(info).load(self.id)]

    @strawberry.field
    async def tags(self, info: Info) -> list[TagType]:
        return [TagType.from_row(t) for t in await dataloaders.tags(info).load(self.id)]

    @strawberry.field
    async def stats(self, info: Info) -> CustomerStats:
        rows = await dataloaders.order_stats(info).load(self.id)
        locale = info.context.format_locale
        count = sum(r["n"] for r in rows)
        return CustomerStats(
            order_count=count,
            total_spent=[Money.of(int(r["spent"] or 0), r["currency"], locale) for r in rows],
            average_order_value=[Money.of(int(r["spent"] or 0) // r["n"], r["currency"], locale) for r in rows],
            first_order_at=min((r["first"] for r in rows), default=None),
            last_order_at=max((r["last"] for r in rows), default=None),
        )

    @strawberry.field(description="Newest first.")
    async def orders(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[OrderType]:
        s = info.context.rt.settings
        return await nested_connection(
            info, models.Order, "customer_id", self.id,
            first=page_size(first, s.default_page_size, s.max_page_size, info.context.locale), after=after,
            ordering=Ordering("placed_at", descending=True), to_node=OrderType.from_row)

    @strawberry.field(description="Null until the customer has an order and scores were computed.")
    async def rfm(self, info: Info) -> RfmScore | None:
        rows = await dataloaders.scores(info).load(self.id)
        if not rows:
            return None
        s = rows[0]
        return RfmScore(recency=s.recency, frequency=s.frequency, monetary=s.monetary, order_count=s.order_count,
                        last_order_at=s.last_order_at, computed_at=s.computed_at)

    async def _recent_orders(self, info: Info, last: int) -> list[OrderType]:
        return [OrderType.from_row(o) for o in await dataloaders.recent_orders(info, last).load(self.id)]

    @strawberry.field(description="The newest orders (at most 20), loaded for a whole page at once.")
    def recent_orders(self, info: Info, last: int = 5) -> list[OrderType]:
        if not 0 <= last <= MAX_RECENT_ORDERS:
            raise ClientError("INVALID_PAGE_SIZE", N_("first must be between 0 and {max}."), info.context.locale,
                              max=MAX_RECENT_ORDERS)
        return cast(list[OrderType], prefetched_or(self.prefetched, ("recentOrders", last),
                                                   lambda: self._recent_orders(info, last)))

    @strawberry.field(description="Newest first.")
    async def notes(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[NoteType]:
        s = info.context.rt.settings
        return await nested_connection(
            info, models.Note, "customer_id", self.id,
            first=page_size(first, s.default_page_size, s.max_page_size, info.context.locale), after=after,
            ordering=Ordering("created_at", descending=True), to_node=NoteType.from_row)

    @strawberry.field(description="Orders, notes, merges and other modules' events, newest first.")
    async def timeline(self, info: Info, first: int | None = None, after: str | None = None
                       ) -> Connection[TimelineEventType]:
        return await resolve_timeline(info, self.id, first, after)
