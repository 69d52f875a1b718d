"""The sync engine's arq job: one run (modules.sync.services.runs)."""

from __future__ import annotations

from typing import Any

from arq import func

from core.registry import WorkerContribution
from modules.sync.services import runs


async def run(ctx: dict[str, Any], job_id: str) -> dict[str, dict[str, int]]:
    """Run one sync run to its end; returns its counts."""
    return await runs.run_job(ctx["redis"], job_id)


worker = WorkerContribution(functions=[func(run, name=runs.JOB_NAME, timeout=3600)])
