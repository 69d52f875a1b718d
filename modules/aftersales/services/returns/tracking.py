"""An order's return requests as the buyer follows them: status, lines, and each return
shipment with its tracking events (the buyers' portal)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from core.tenancy import scoped
from modules.aftersales.models import ReturnLine, ReturnRequest, ReturnShipment, ShipmentEvent

MAX_RETURNS = 50  # an order has a few; the list stays bounded anyway
MAX_EVENTS = 100  # per shipment, newest kept


@dataclass(frozen=True)
class TrackedShipment:
    shipment: ReturnShipment
    events: list[ShipmentEvent]  # oldest first


@dataclass(frozen=True)
class TrackedReturn:
    request: ReturnRequest
    lines: list[ReturnLine]
    shipments: list[TrackedShipment]


async def returns_of_order(tenant_id: int, order_id: int) -> list[TrackedReturn]:
    """The order's requests, newest first, with lines and shipments (four queries); the caller has
    made sure whose order it is."""
    requests = await (scoped(ReturnRequest, tenant_id).filter(order_id=order_id)
                      .order_by("-created_at", "-id").limit(MAX_RETURNS))
    ids = [r.id for r in requests]
    lines: dict[int, list[ReturnLine]] = defaultdict(list)
    for line in await scoped(ReturnLine, tenant_id).filter(request_id__in=ids).order_by("id"):
        lines[line.request_id].append(line)
    shipments = await scoped(ReturnShipment, tenant_id).filter(request_id__in=ids).order_by("created_at", "id")
    events: dict[int, list[ShipmentEvent]] = defaultdict(list)
    for event in await (scoped(ShipmentEvent, tenant_id).filter(shipment_id__in=[s.id for s in shipments])
                        .order_by("-at", "-id").limit(MAX_EVENTS * max(len(shipments), 1))):
        if len(events[event.shipment_id]) < MAX_EVENTS:
            events[event.shipment_id].append(event)
    by_request: dict[int, list[TrackedShipment]] = defaultdict(list)
    for shipment in shipments:
        by_request[shipment.request_id].append(TrackedShipment(shipment, events[shipment.id][::-1]))
    return [TrackedReturn(r, lines[r.id], by_request[r.id]) for r in requests]
