"""createOrder: an order entered by hand, with its lines; updateOrder: its status, shipping and step times."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import CustomerType, OrderType, SalesChannelType
from modules.crm.services import orders


@strawberry.input
class OrderLineInput:
    sku: str
    name: str = ""
    quantity: int = 1
    unit_price: Decimal = strawberry.field(description="In the order's currency, e.g. 12.90.")


@strawberry.input
class CreateOrderInput:
    customer_id: strawberry.ID
    number: str
    currency: str
    lines: list[OrderLineInput]
    channel_id: strawberry.ID | None = None
    external_id: str | None = None
    status: str = "pending"
    placed_at: datetime | None = None
    shipping: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)


@strawberry.input(description="Omitted fields are left as they are.")
class UpdateOrderInput:
    order_id: strawberry.ID
    status: str | None = strawberry.field(default=None, description=(
        "pending -> paid -> shipped -> delivered; pending or paid -> cancelled; paid, shipped or delivered -> "
        "refunded. Reaching a step sets its time (now) unless given."))
    carrier: str | None = None
    tracking_number: str | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None


@strawberry.type
class OrderPayload:
    order: OrderType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderMutations:
    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")],
                         description="Subtotal and total are computed from the lines; money is exact.")
    async def create_order(self, info: Info, input: CreateOrderInput) -> OrderPayload:  # noqa: A002
        async def run() -> OrderType:
            data = orders.OrderData(
                customer_id=decode_id(input.customer_id, CustomerType, "customerId"),
                channel_id=decode_id(input.channel_id, SalesChannelType, "channelId") if input.channel_id else None,
                number=input.number, currency=input.currency, external_id=input.external_id, status=input.status,
                placed_at=input.placed_at, shipping=input.shipping, tax=input.tax, discount=input.discount,
                lines=[orders.LineData(sku=line.sku, name=line.name, quantity=line.quantity,
                                       unit_price=line.unit_price) for line in input.lines])
            return OrderType.from_row(await orders.create_order(info.context.require_principal(), data))
        order, errors = await attempt(info, run())
        return OrderPayload(order=order, errors=errors)

    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")])
    async def update_order(self, info: Info, input: UpdateOrderInput) -> OrderPayload:  # noqa: A002
        async def run() -> OrderType:
            change = orders.OrderUpdate(
                status=input.status, carrier=input.carrier, tracking_number=input.tracking_number,
                paid_at=input.paid_at, shipped_at=input.shipped_at, delivered_at=input.delivered_at)
            return OrderType.from_row(await orders.update_order(
                info.context.require_principal(), decode_id(input.order_id, OrderType, "orderId"), change))
        order, errors = await attempt(info, run())
        return OrderPayload(order=order, errors=errors)
