"""Return shipments: the parcel coming back, its tracking events, and the alert when it stops moving.

Events may arrive late or out of order: the shipment's status follows the newest event by time.
A shipment that has not moved for the tenant's `stale_shipment_days` raises one alert (a timestamp
on the row plus the outbox event "aftersales.shipment_stale"); a later movement re-arms it.
The alert is claimed with a conditional UPDATE, so two scans at once still alert once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core import audit, events
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.sql import fetch
from core.tenancy import scoped
from modules.aftersales.models import ReturnShipment, ShipmentEvent
from modules.aftersales.models.shipment import FINAL_SHIPMENT_STATUSES, SHIPMENT_STATUSES
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.returns.policies import stale_days
from modules.aftersales.services.returns.requests import get_return

SHIPPABLE = ("approved", "received")


def _text(errors: list[UserFacingError], value: str, limit: int, path: str, required: bool = True) -> str:
    value = value.strip()
    if (required and not value) or len(value) > limit:
        errors.append(aftersales_error("INVALID_TEXT", N_("This field has {min} to {max} characters."), [path],
                                   min=1 if required else 0, max=limit))
    return value


async def add_shipment(actor: Principal, request_id: int, carrier: str, tracking_number: str) -> ReturnShipment:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    carrier = _text(errors, carrier, 64, "carrier")
    tracking_number = _text(errors, tracking_number, 64, "trackingNumber")
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        request = await get_return(tid, request_id, lock=True)
        if request.status not in SHIPPABLE:
            raise aftersales_error("RETURN_NOT_SHIPPABLE", N_("Only an approved return can be shipped back."),
                               ["returnId"])
        if await scoped(ReturnShipment, tid).filter(carrier=carrier, tracking_number=tracking_number).exists():
            raise aftersales_error("SHIPMENT_EXISTS", N_("This tracking number is already recorded."),
                               ["trackingNumber"])
        shipment = await ReturnShipment.create(tenant_id=tid, request_id=request.id, carrier=carrier,
                                               tracking_number=tracking_number, last_movement_at=datetime.now(UTC))
        await audit.record(actor, tid, "return_shipment.create", "ReturnShipment", shipment.id, None,
                           {"return": request.id, "carrier": carrier, "trackingNumber": tracking_number})
    return shipment


@dataclass
class EventInput:
    shipment_id: int
    status: str
    at: datetime
    location: str = ""
    description: str = ""


async def add_event(actor: Principal, data: EventInput) -> ShipmentEvent:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    if data.status not in SHIPMENT_STATUSES:
        errors.append(aftersales_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["status"],
                                   choices=", ".join(SHIPMENT_STATUSES)))
    at = data.at if data.at.tzinfo else data.at.replace(tzinfo=UTC)
    if at > datetime.now(UTC) + timedelta(hours=1):
        errors.append(aftersales_error("FUTURE_TIME", N_("A tracking event cannot be in the future."), ["at"]))
    location = _text(errors, data.location, 200, "location", required=False)
    description = _text(errors, data.description, 500, "description", required=False)
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        shipment = await scoped(ReturnShipment, tid).filter(id=data.shipment_id).select_for_update().first()
        if shipment is None:
            raise aftersales_error("NOT_FOUND", N_("No such shipment."), ["shipmentId"])
        newest = await scoped(ShipmentEvent, tid).filter(shipment_id=shipment.id).order_by("-at").first()
        event = await ShipmentEvent.create(tenant_id=tid, shipment_id=shipment.id, status=data.status, at=at,
                                           location=location, description=description)
        if newest is None or at >= newest.at:
            shipment.status = data.status
        if at > shipment.last_movement_at:
            shipment.last_movement_at = at
            shipment.stale_alerted_at = None
        await shipment.save()
        await audit.record(actor, tid, "return_shipment.event", "ReturnShipment", shipment.id, None,
                           {"status": data.status, "at": at.isoformat()})
    return event


async def _tenants_with_open_shipments() -> list[int]:
    """The only cross-tenant read: which tenants to scan (each scan then stays in its tenant)."""
    rows = await fetch("SELECT DISTINCT tenant_id FROM aftersales_return_shipment "
                       "WHERE stale_alerted_at IS NULL ORDER BY tenant_id", [])
    return [int(r["tenant_id"]) for r in rows]


async def alert_stale(now: datetime | None = None) -> int:
    """Alert every shipment that has stopped moving and was not alerted yet; returns how many."""
    now = now or datetime.now(UTC)
    alerted = 0
    for tid in await _tenants_with_open_shipments():
        cutoff = now - timedelta(days=await stale_days(tid))
        stale = await scoped(ReturnShipment, tid).filter(stale_alerted_at=None, last_movement_at__lt=cutoff) \
            .exclude(status__in=FINAL_SHIPMENT_STATUSES).limit(1000)
        for shipment in stale:
            async with in_transaction():
                claimed = await scoped(ReturnShipment, tid).filter(id=shipment.id, stale_alerted_at=None) \
                    .update(stale_alerted_at=now)
                if claimed:
                    await events.emit("aftersales.shipment_stale", {
                        "shipment_id": shipment.id, "return_id": shipment.request_id, "carrier": shipment.carrier,
                        "tracking_number": shipment.tracking_number,
                        "last_movement_at": shipment.last_movement_at.isoformat()}, tid)
                    alerted += 1
    return alerted
