"""aftersales background work for SLAs: the breach and escalation scan, every minute."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from arq import cron

from core.registry import WorkerContribution
from modules.aftersales.services.sla import escalation

SCAN_JOB = "aftersales.sla_scan"


async def sla_scan(ctx: dict[str, Any]) -> dict[str, int]:
    """Mark breaches and fire escalation rules; re-derived from the database at each run, so a
    missed minute (worker down, Redis flushed) is caught up by the next one."""
    return asdict(await escalation.scan(datetime.now(UTC)))


worker = WorkerContribution(
    cron_jobs=[cron(sla_scan, name=SCAN_JOB, second={7}, unique=True, timeout=300)],
)
