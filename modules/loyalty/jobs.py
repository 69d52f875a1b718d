"""The loyalty module's worker part: points on paid orders and refunds (outbox events), expiry and
the tiers' daily review (cron).

Refunds arrive as aftersales' `aftersales.refund_created` event, read by its topic and payload only:
loyalty does not depend on aftersales, and any module emitting that event (a platform's refund
sync, later) claws points back the same way.
"""

from __future__ import annotations

from typing import Any

from arq import cron

from core.models import OutboxEvent
from core.registry import WorkerContribution
from modules.crm.services import ORDER_CREATED, ORDER_STATUS_CHANGED
from modules.loyalty.models import Program
from modules.loyalty.services import clawback_for_refund, clawback_order, earn_for_order, expire_due
from modules.loyalty.services.earning import PAID_STATUSES
from modules.loyalty.services.standing import review_program

REFUND_CREATED = "aftersales.refund_created"
UNDONE = ("cancelled", "refunded")


async def on_order_created(event: OutboxEvent) -> None:
    """An order entered or imported already paid earns at once."""
    if event.tenant_id is not None and event.payload.get("status") in PAID_STATUSES:
        await earn_for_order(event.tenant_id, int(event.payload["order_id"]))


async def on_order_status_changed(event: OutboxEvent) -> None:
    """Paid: the order earns. Cancelled or refunded by hand: what refunds did not take back goes."""
    if event.tenant_id is None:
        return
    if event.payload.get("to") == "paid":
        await earn_for_order(event.tenant_id, int(event.payload["order_id"]))
    elif event.payload.get("to") in UNDONE:
        await clawback_order(event.tenant_id, int(event.payload["order_id"]))


async def on_refund_created(event: OutboxEvent) -> None:
    p = event.payload
    if event.tenant_id is not None:
        await clawback_for_refund(event.tenant_id, int(p["refund_id"]), int(p["order_id"]), int(p["amount"]),
                                  str(p["currency"]))


async def expire_points(ctx: dict[str, Any]) -> dict[int, int]:
    """Due lots and inactive balances of every program; safe to run twice."""
    return await expire_due()


async def review_tiers(ctx: dict[str, Any]) -> dict[int, int]:
    """Every program's tier holders, as their orders leave the window: {tenant id: tiers changed}."""
    programs = await Program.filter(enabled=True).order_by("id")
    return {p.tenant_id: await review_program(p) for p in programs}


worker = WorkerContribution(
    event_handlers={ORDER_CREATED: [on_order_created], ORDER_STATUS_CHANGED: [on_order_status_changed],
                    REFUND_CREATED: [on_refund_created]},
    cron_jobs=[cron(expire_points, name="loyalty.expire_points", minute={7}, unique=True, timeout=1800),
               cron(review_tiers, name="loyalty.review_tiers", hour={3}, minute={37}, unique=True, timeout=3600)],
)
