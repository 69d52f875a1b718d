"""The return portal's reads: the buyer's order (lines, what is still returnable, the policy for
their country and items) and its return requests with status and shipment tracking.

Both take the portal token (the `token` argument, else `Authorization: Bearer`) and reach only the
order it names, and only while that order still belongs to the customer it names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry.types import Info

from core.errors import UserFacingError
from core.graphql.money import Money
from modules.aftersales.services import (
    ReturnableLine,
    ReturnableOrder,
    Terms,
    TrackedReturn,
    TrackedShipment,
    returnable_order,
    returns_of_order,
)
from modules.portal.context import PortalContext
from modules.portal.errors import TOKEN_INVALID, client_error
from modules.portal.tokens import Buyer

Token = Annotated[str | None, strawberry.argument(
    description="The token startReturn gave; or send it as 'Authorization: Bearer <token>'.")]


async def buyer_order(info: Info, token: str | None) -> tuple[Buyer, ReturnableOrder]:
    """The token's buyer and order; TOKEN_INVALID once the order is gone or no longer theirs (merged
    into another customer, say)."""
    ctx: PortalContext = info.context
    buyer = ctx.buyer(token)
    try:
        found = await returnable_order(ctx.shop.id, buyer.order_id)
    except UserFacingError:
        found = None
    if found is None or found.order.customer_id != buyer.customer_id:
        raise client_error("TOKEN_INVALID", TOKEN_INVALID, ctx.locale)
    return buyer, found


@strawberry.type(description="What a return policy says.")
class ReturnTerms:
    window_days: int = strawberry.field(description="Days to ask for a return, from delivery (else from the order).")
    return_shipping_paid_by: str = strawberry.field(description="customer or merchant (merchant for a fault).")
    restocking_fee_bp: int = strawberry.field(description="Basis points of the returned goods' value (100 = 1%).")
    restocking_fee_fixed: Money | None = strawberry.field(description="A fixed fee per return (order's currency).")
    non_returnable_categories: list[str]

    @classmethod
    def of(cls, terms: Terms, currency: str, locale: str) -> Self:
        fixed = terms.restocking_fee_fixed if terms.restocking_fee_currency == currency else 0
        return cls(window_days=terms.window_days, return_shipping_paid_by=terms.return_shipping_paid_by,
                   restocking_fee_bp=terms.restocking_fee_bp,
                   restocking_fee_fixed=Money.of(fixed, currency, locale) if fixed else None,
                   non_returnable_categories=sorted(terms.non_returnable_categories))


@strawberry.type(name="PortalOrderLine")
class OrderLineView:
    id: strawberry.ID = strawberry.field(description="Name it as orderLineId in requestReturn.")
    sku: str
    name: str
    quantity: int
    unit_price: Money
    returnable_quantity: int = strawberry.field(description="How many items a return request may still ask for.")
    returnable_until: datetime = strawberry.field(description="When this line's return window ends.")
    not_returnable_because: str | None = strawberry.field(description=(
        "Why nothing of it can be asked back: ORDER_NOT_RETURNABLE, NON_RETURNABLE_CATEGORY, RETURN_WINDOW_EXPIRED "
        "or QUANTITY_EXCEEDS_RETURNABLE (already asked for); null when something can."))
    policy: ReturnTerms = strawberry.field(description="The policy for this item's category and your country.")

    @classmethod
    def of(cls, order: ReturnableOrder, line: ReturnableLine, locale: str) -> Self:
        ol = line.line
        return cls(id=strawberry.ID(str(ol.id)), sku=ol.sku, name=ol.name, quantity=ol.quantity,
                   unit_price=Money.of(ol.unit_price, ol.currency, locale), returnable_quantity=order.returnable(line),
                   returnable_until=line.deadline, not_returnable_because=order.obstacle(line),
                   policy=ReturnTerms.of(line.terms, order.order.currency, locale))


@strawberry.type(name="PortalOrder")
class OrderView:
    number: str
    status: str
    placed_at: datetime
    delivered_at: datetime | None
    total: Money
    destination_country: str | None = strawberry.field(description="Where it went (ISO 3166-1), for the policy.")
    return_policy: ReturnTerms = strawberry.field(description="The policy for your country, whatever the item.")
    lines: list[OrderLineView]

    @classmethod
    def of(cls, found: ReturnableOrder, locale: str) -> Self:
        o = found.order
        return cls(number=o.number, status=o.status, placed_at=o.placed_at, delivered_at=o.delivered_at,
                   total=Money.of(o.total, o.currency, locale), destination_country=found.country,
                   return_policy=ReturnTerms.of(found.terms, o.currency, locale),
                   lines=[OrderLineView.of(found, line, locale) for line in found.lines])


@strawberry.type(name="PortalTrackingEvent")
class TrackingEventView:
    status: str
    at: datetime
    location: str
    description: str


@strawberry.type(name="PortalShipment")
class ShipmentView:
    carrier: str
    tracking_number: str
    status: str = strawberry.field(description="label_created, in_transit, out_for_delivery, delivered, exception "
                                               "or returned.")
    last_movement_at: datetime
    events: list[TrackingEventView] = strawberry.field(description="Oldest first.")

    @classmethod
    def of(cls, tracked: TrackedShipment) -> Self:
        s = tracked.shipment
        return cls(carrier=s.carrier, tracking_number=s.tracking_number, status=s.status,
                   last_movement_at=s.last_movement_at,
                   events=[TrackingEventView(status=e.status, at=e.at, location=e.location, description=e.description)
                           for e in tracked.events])


@strawberry.type(name="PortalReturnLine")
class ReturnLineView:
    order_line_id: strawberry.ID
    quantity: int
    reason_code: str
    condition: str


@strawberry.type(name="PortalReturn")
class ReturnView:
    id: strawberry.ID
    kind: str = strawberry.field(description="return, exchange or repair.")
    status: str = strawberry.field(description="requested, approved, rejected, cancelled, received, refunded, "
                                               "exchanged, repaired or closed.")
    return_shipping_paid_by: str
    created_at: datetime
    decided_at: datetime | None
    received_at: datetime | None
    lines: list[ReturnLineView]
    shipments: list[ShipmentView]

    @classmethod
    def of(cls, tracked: TrackedReturn) -> Self:
        r = tracked.request
        return cls(id=strawberry.ID(str(r.id)), kind=r.kind, status=r.status,
                   return_shipping_paid_by=r.return_shipping_paid_by, created_at=r.created_at,
                   decided_at=r.decided_at, received_at=r.received_at,
                   lines=[ReturnLineView(order_line_id=strawberry.ID(str(line.order_line_id)), quantity=line.quantity,
                                         reason_code=line.reason_code, condition=line.condition)
                          for line in tracked.lines],
                   shipments=[ShipmentView.of(s) for s in tracked.shipments])


async def my_returns(info: Info, token: str | None) -> list[ReturnView]:
    buyer, _ = await buyer_order(info, token)
    return [ReturnView.of(r) for r in await returns_of_order(info.context.shop.id, buyer.order_id)]


@strawberry.type
class ReturnQuery:
    @strawberry.field(description="The order the token opens, with what of it can still be returned.")
    async def order(self, info: Info, token: Token = None) -> OrderView:
        _, found = await buyer_order(info, token)
        return OrderView.of(found, info.context.format_locale)

    @strawberry.field(description="The order's return requests, newest first, with status and tracking.")
    async def my_returns(self, info: Info, token: Token = None) -> list[ReturnView]:
        return await my_returns(info, token)
