"""The sync engine's arq jobs: one run (modules.sync.services.runs), and the hourly purge of processed
webhook events."""

from __future__ import annotations

from typing import Any

from arq import cron, func

from core.registry import WorkerContribution
from modules.sync.services import runs, webhooks


async def run(ctx: dict[str, Any], job_id: str) -> dict[str, dict[str, int]]:
    """Run one sync run to its end; returns its counts."""
    return await runs.run_job(ctx["redis"], job_id)


async def purge_events(ctx: dict[str, Any]) -> int:
    """Delete processed webhook events older than a week (their payloads hold contact data)."""
    return await webhooks.purge()


worker = WorkerContribution(functions=[func(run, name=runs.JOB_NAME, timeout=3600, max_tries=3)],
                            cron_jobs=[cron(purge_events, name="sync.purge_events", minute={27}, unique=True,
                                            timeout=600)])
