"""aftersales background work for returns: the hourly scan for return shipments that stopped moving."""

from __future__ import annotations

from typing import Any

from arq import cron

from core.registry import WorkerContribution
from modules.aftersales.services.returns.shipments import alert_stale


async def stale_shipments(ctx: dict[str, Any]) -> int:
    """Alert (once) every return shipment without movement for its tenant's stale_shipment_days;
    re-derived from the database each run, so a missed or repeated run changes nothing."""
    return await alert_stale()


worker = WorkerContribution(
    cron_jobs=[cron(stale_shipments, name="aftersales.stale_shipments", minute={23}, unique=True, timeout=600)],
)
