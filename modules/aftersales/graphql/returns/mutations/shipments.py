"""addReturnShipment and addShipmentEvent: the parcel coming back and its tracking."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales.graphql.returns.types import ReturnRequestType, ReturnShipmentType, ShipmentStatus
from modules.aftersales.services.returns import shipments

WRITE = [Requires("aftersales.return", "write")]


@strawberry.input
class AddReturnShipmentInput:
    return_id: strawberry.ID
    carrier: str
    tracking_number: str


@strawberry.input
class AddShipmentEventInput:
    shipment_id: strawberry.ID
    status: ShipmentStatus
    at: datetime
    location: str = ""
    description: str = ""


@strawberry.type
class ShipmentPayload:
    shipment: ReturnShipmentType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ShipmentMutations:
    @strawberry.mutation(permission_classes=WRITE, description="For an approved (or received) return.")
    async def add_return_shipment(self, info: Info, input: AddReturnShipmentInput) -> ShipmentPayload:  # noqa: A002
        async def run() -> ReturnShipmentType:
            row = await shipments.add_shipment(info.context.require_principal(),
                                               decode_id(input.return_id, ReturnRequestType, "returnId"),
                                               input.carrier, input.tracking_number)
            return ReturnShipmentType.from_row(row)
        result, errors = await attempt(info, run())
        return ShipmentPayload(shipment=result, errors=errors)

    @strawberry.mutation(permission_classes=WRITE, description=(
        "The shipment's status follows its newest event by time; movement re-arms the stale alert."))
    async def add_shipment_event(self, info: Info, input: AddShipmentEventInput) -> ShipmentPayload:  # noqa: A002
        async def run() -> ReturnShipmentType:
            principal = info.context.require_principal()
            data = shipments.EventInput(shipment_id=decode_id(input.shipment_id, ReturnShipmentType, "shipmentId"),
                                        status=input.status.value, at=input.at, location=input.location,
                                        description=input.description)
            event = await shipments.add_event(principal, data)
            (node,) = await ReturnShipmentType.resolve_nodes(info=info, node_ids=[str(event.shipment_id)])
            assert node is not None
            return node
        result, errors = await attempt(info, run())
        return ShipmentPayload(shipment=result, errors=errors)
