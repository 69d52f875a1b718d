"""Demo return policies, a return with its refund, shipment and repair (after crm's demo orders)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.tenancy import scoped
from modules.aftersales.models import (
    Refund,
    Repair,
    RepairEvent,
    ReturnLine,
    ReturnPolicy,
    ReturnRequest,
    ReturnShipment,
    ShipmentEvent,
)
from modules.crm.models import Order, OrderLine

EU = ("AT", "BE", "DE", "ES", "FR", "IE", "IT", "NL", "PL", "PT", "SE")


async def load(tenant_id: int) -> None:
    if await scoped(ReturnPolicy, tenant_id).exists():
        return
    await ReturnPolicy.create(tenant_id=tenant_id, name="Default", window_days=30,
                              non_returnable_categories=["gift_cards", "underwear"])
    for country in EU:  # the EU right of withdrawal: at least 14 days
        await ReturnPolicy.create(tenant_id=tenant_id, name=f"EU withdrawal {country}", country=country,
                                  window_days=30, non_returnable_categories=["gift_cards", "underwear"],
                                  return_shipping_paid_by="merchant")
    order = await scoped(Order, tenant_id).filter(status="delivered").order_by("id").first()
    line = await scoped(OrderLine, tenant_id).filter(order_id=order.id).first() if order else None
    if order is None or line is None:
        return
    now = datetime.now(UTC)
    request = await ReturnRequest.create(
        tenant_id=tenant_id, order_id=order.id, customer_id=order.customer_id, kind="repair", status="received",
        suggestion="approve", suggestion_reasons=[{"code": "WITHIN_POLICY", "params": {"days": 30}}],
        note="Zip broke after a week.", received_at=now)
    await ReturnLine.create(tenant_id=tenant_id, request_id=request.id, order_line_id=line.id, quantity=1,
                            reason_code="defective", condition="used")
    await Refund.create(tenant_id=tenant_id, order_id=order.id, request_id=request.id, amount=min(500, order.total),
                        currency=order.currency, reason="Goodwill for the wait", status="succeeded")
    shipment = await ReturnShipment.create(tenant_id=tenant_id, request_id=request.id, carrier="DHL",
                                           tracking_number=f"DEMO{tenant_id:08d}", status="delivered",
                                           last_movement_at=now - timedelta(days=1))
    await ShipmentEvent.create(tenant_id=tenant_id, shipment_id=shipment.id, status="delivered", location="Hamburg",
                               at=now - timedelta(days=1), description="Delivered to the warehouse")
    repair = await Repair.create(tenant_id=tenant_id, request_id=request.id, status="diagnosing")
    await RepairEvent.create(tenant_id=tenant_id, repair_id=repair.id, status="diagnosing", note="Zip slider worn")
