"""GraphQL types of returns, refunds, exchanges, repairs, return shipments and return policies.

Money is the Money type (exact amount, formatted in the caller's locale); relations are loaded
through per-request loaders (graphql/returns/loaders.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.graphql.loaders import load_node
from core.graphql.money import Money
from core.graphql.node import ScopedNode
from core.i18n import translate
from modules.aftersales import models
from modules.aftersales.graphql.returns import loaders
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.services.returns.requests import reason_message
from modules.crm.graphql.types import CustomerType, OrderType

READ = ("aftersales.return", "read")


@strawberry.enum
class ReturnKind(Enum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"


@strawberry.enum
class ReturnStatus(Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    RECEIVED = "received"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    REPAIRED = "repaired"
    CLOSED = "closed"


@strawberry.enum
class ReturnSuggestion(Enum):
    APPROVE = "approve"
    REJECT = "reject"
    REVIEW = "review"


@strawberry.enum
class ReturnReason(Enum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    SIZE_FIT = "size_fit"
    DEFECTIVE = "defective"
    OTHER = "other"


@strawberry.enum
class ItemCondition(Enum):
    NEW = "new"
    OPENED = "opened"
    USED = "used"
    DAMAGED = "damaged"


@strawberry.enum
class ShippingPayer(Enum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"


@strawberry.enum
class RepairStatus(Enum):
    RECEIVED = "received"
    DIAGNOSING = "diagnosing"
    REPAIRING = "repairing"
    REPAIRED = "repaired"
    RETURNED_TO_CUSTOMER = "returned_to_customer"
    UNREPAIRABLE = "unrepairable"


@strawberry.enum
class ShipmentStatus(Enum):
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"


def _money(info: Info, minor: int, currency: str) -> Money:
    return Money.of(minor, currency, info.context.format_locale)


@strawberry.type(name="ReturnPolicy", description="The default policy has neither country nor category.")
class ReturnPolicyType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    country: str | None
    category: str | None
    window_days: int
    non_returnable_categories: list[str]
    return_shipping_paid_by: ShippingPayer
    restocking_fee_bp: int = strawberry.field(description="Basis points of the returned goods' value (100 = 1%).")
    stale_shipment_days: int = strawberry.field(description="Read from the default policy.")
    row: strawberry.Private[models.ReturnPolicy]
    read_permission = READ
    model = models.ReturnPolicy

    @classmethod
    def from_row(cls, row: models.ReturnPolicy) -> Self:
        return cls(id=row.id, name=row.name, country=row.country or None, category=row.category or None,
                   window_days=row.window_days, non_returnable_categories=list(row.non_returnable_categories),
                   return_shipping_paid_by=ShippingPayer(row.return_shipping_paid_by),
                   restocking_fee_bp=row.restocking_fee_bp, stale_shipment_days=row.stale_shipment_days, row=row)

    @strawberry.field
    def is_default(self) -> bool:
        return not self.row.country and not self.row.category

    @strawberry.field(description="Applied only to orders in the same currency.")
    def restocking_fee_fixed(self, info: Info) -> Money | None:
        if not self.row.restocking_fee_currency:
            return None
        return _money(info, self.row.restocking_fee_fixed, self.row.restocking_fee_currency)


@strawberry.type
class PolicyReason:
    code: str
    message: str = strawberry.field(description="In the caller's language.")


@strawberry.type
class ReturnPhoto:
    name: str
    content_type: str
    size: int
    url: str


@strawberry.type
class ReturnLineType:
    id: strawberry.ID = strawberry.field(description="The line's id within its return (exchanges name it).")
    order_line_id: strawberry.ID
    sku: str
    name: str
    quantity: int
    reason_code: ReturnReason
    condition: ItemCondition
    photos: list[ReturnPhoto]
    unit_price: Money

    @classmethod
    def of(cls, info: Info, row: models.ReturnLine) -> Self:
        line = row.order_line
        return cls(id=strawberry.ID(str(row.id)), order_line_id=strawberry.ID(str(row.order_line_id)), sku=line.sku,
                   name=line.name, quantity=row.quantity, reason_code=ReturnReason(row.reason_code),
                   condition=ItemCondition(row.condition),
                   photos=[ReturnPhoto(name=p["name"], content_type=p["contentType"], size=p["size"], url=p["url"])
                           for p in row.photos],
                   unit_price=_money(info, line.unit_price, line.currency))


@strawberry.type(name="ExchangeLine")
class ExchangeLineType:
    sku: str
    name: str
    quantity: int
    return_line_id: strawberry.ID


@strawberry.type(name="ShipmentEvent")
class ShipmentEventType:
    status: ShipmentStatus
    location: str
    at: datetime
    description: str


@strawberry.type(name="ReturnShipment")
class ReturnShipmentType(ScopedNode):
    id: relay.NodeID[int]
    carrier: str
    tracking_number: str
    status: ShipmentStatus
    last_movement_at: datetime
    stale_alerted_at: datetime | None = strawberry.field(description="When it was reported as not moving.")
    read_permission = READ
    model = models.ReturnShipment

    @classmethod
    def from_row(cls, row: models.ReturnShipment) -> Self:
        return cls(id=row.id, carrier=row.carrier, tracking_number=row.tracking_number,
                   status=ShipmentStatus(row.status), last_movement_at=row.last_movement_at,
                   stale_alerted_at=row.stale_alerted_at)

    @strawberry.field(description="Oldest first.")
    async def events(self, info: Info) -> list[ShipmentEventType]:
        return [ShipmentEventType(status=ShipmentStatus(e.status), location=e.location, at=e.at,
                                  description=e.description)
                for e in await loaders.shipment_events(info).load(self.id)]


@strawberry.type(name="RepairEvent")
class RepairEventType:
    status: RepairStatus
    note: str
    at: datetime


@strawberry.type(name="Repair")
class RepairType(ScopedNode):
    id: relay.NodeID[int]
    status: RepairStatus
    created_at: datetime
    updated_at: datetime
    read_permission = READ
    model = models.Repair

    @classmethod
    def from_row(cls, row: models.Repair) -> Self:
        return cls(id=row.id, status=RepairStatus(row.status), created_at=row.created_at, updated_at=row.updated_at)

    @strawberry.field(description="Oldest first.")
    async def events(self, info: Info) -> list[RepairEventType]:
        return [RepairEventType(status=RepairStatus(e.status), note=e.note, at=e.created_at)
                for e in await loaders.repair_events(info).load(self.id)]


@strawberry.type(name="Refund")
class RefundType(ScopedNode):
    id: relay.NodeID[int]
    status: str = strawberry.field(description="pending, succeeded (by the payment connector) or failed.")
    reason: str
    created_at: datetime
    row: strawberry.Private[models.Refund]
    read_permission = READ
    model = models.Refund

    @classmethod
    def from_row(cls, row: models.Refund) -> Self:
        return cls(id=row.id, status=row.status, reason=row.reason, created_at=row.created_at, row=row)

    @strawberry.field(description="What the customer gets back.")
    def amount(self, info: Info) -> Money:
        return _money(info, self.row.amount, self.row.currency)

    @strawberry.field(description="Kept back for restocking, on top of the amount.")
    def restocking_fee(self, info: Info) -> Money:
        return _money(info, self.row.restocking_fee, self.row.currency)

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        return await load_node(loaders.orders(info), self.row.order_id, OrderType)

    @strawberry.field
    async def return_request(self, info: Info) -> ReturnRequestType | None:
        return await load_node(loaders.return_requests(info), self.row.request_id, ReturnRequestType)


@strawberry.type(name="ReturnRequest", description="A return, exchange or repair request on an order's lines.")
class ReturnRequestType(ScopedNode):
    id: relay.NodeID[int]
    kind: ReturnKind
    status: ReturnStatus
    suggestion: ReturnSuggestion = strawberry.field(description="What the return policies suggest; the agent decides.")
    note: str
    decision_reason: str
    window_overridden: bool = strawberry.field(description="Accepted after its return window by an override.")
    return_shipping_paid_by: ShippingPayer
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    received_at: datetime | None
    row: strawberry.Private[models.ReturnRequest]
    read_permission = READ
    model = models.ReturnRequest

    @classmethod
    def from_row(cls, row: models.ReturnRequest) -> Self:
        return cls(id=row.id, kind=ReturnKind(row.kind), status=ReturnStatus(row.status),
                   suggestion=ReturnSuggestion(row.suggestion), note=row.note, decision_reason=row.decision_reason,
                   window_overridden=row.window_overridden,
                   return_shipping_paid_by=ShippingPayer(row.return_shipping_paid_by), created_at=row.created_at,
                   updated_at=row.updated_at, decided_at=row.decided_at, received_at=row.received_at, row=row)

    @strawberry.field(description="Why the policies suggest what they do, in the caller's language.")
    def suggestion_reasons(self, info: Info) -> list[PolicyReason]:
        return [PolicyReason(code=r["code"], message=translate("aftersales", reason_message(r["code"]),
                                                               info.context.locale, **r["params"]))
                for r in self.row.suggestion_reasons]

    @strawberry.field
    async def lines(self, info: Info) -> list[ReturnLineType]:
        return [ReturnLineType.of(info, row) for row in await loaders.return_lines(info).load(self.id)]

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        return await load_node(loaders.orders(info), self.row.order_id, OrderType)

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await load_node(loaders.customers(info), self.row.customer_id, CustomerType)

    @strawberry.field(description="Needs aftersales.ticket:read.")
    async def ticket(self, info: Info) -> TicketType | None:
        if self.row.ticket_id is None:
            return None
        return await load_node(loaders.tickets(info), self.row.ticket_id, TicketType)

    @strawberry.field
    async def refunds(self, info: Info) -> list[RefundType]:
        return [RefundType.from_row(r) for r in await loaders.refunds_of_return(info).load(self.id)]

    @strawberry.field
    async def shipments(self, info: Info) -> list[ReturnShipmentType]:
        return [ReturnShipmentType.from_row(s) for s in await loaders.shipments(info).load(self.id)]

    @strawberry.field(description="Replacements to ship (exchanges).")
    async def exchange_lines(self, info: Info) -> list[ExchangeLineType]:
        return [ExchangeLineType(sku=e.sku, name=e.name, quantity=e.quantity,
                                 return_line_id=strawberry.ID(str(e.return_line_id)))
                for e in await loaders.exchange_lines(info).load(self.id)]

    @strawberry.field
    async def repair(self, info: Info) -> RepairType | None:
        rows = await loaders.repairs(info).load(self.id)
        return RepairType.from_row(rows[0]) if rows else None
