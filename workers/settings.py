"""Compose arq's worker configuration from the installed modules.

arq finds jobs by name in one flat namespace, so every job is named `<module>.<job>` and a
name outside the module's own prefix, or used twice, is a start-up error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from arq import Retry, cron, func
from arq.cron import CronJob
from arq.worker import Function

from core import events, idempotency, jobs
from core.events import Handler
from core.outage import is_outage
from core.registry import Module, RegistryError

# A delivery that met a database outage is tried again by arq itself after 5, 10, 15, 20 s: the
# event's own back-off cannot be recorded while the database is away, and waiting for the relay's
# REDELIVER_AFTER (6 minutes) would hold every event of a 5-second outage for minutes.
DISPATCH_TRIES = 5
OUTAGE_RETRY_S = 5
# One relay run sends batches until the backlog is drained or this many seconds have passed (under
# the cron entry's 60 s timeout): one batch per 2-second tick capped the outbox at 100 events/s.
RELAY_BUDGET_S = 40.0
PURGE_IDEMPOTENCY_KEYS = "core.purge_idempotency_keys"
REQUEUE_JOBS = "core.requeue_jobs"
PURGE_JOBS = "core.purge_jobs"


async def _dispatch_event(ctx: dict[str, Any], event_id: str) -> list[str]:
    try:
        return await events.dispatch(event_id, ctx["event_handlers"])
    except Exception as exc:
        tries = int(ctx.get("job_try") or 1)
        if is_outage(exc) and tries < DISPATCH_TRIES:
            raise Retry(defer=OUTAGE_RETRY_S * tries) from exc
        raise


async def _relay_outbox(ctx: dict[str, Any]) -> int:
    deadline = time.monotonic() + RELAY_BUDGET_S
    total = 0
    while True:
        sent = await events.relay(ctx["redis"], events.RELAY_BATCH)
        total += sent
        if sent < events.RELAY_BATCH or time.monotonic() > deadline:
            return total


async def _purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Idempotency keys are kept a day (core.idempotency.TTL); hourly, the older ones go."""
    return await idempotency.purge()


async def _requeue_jobs(ctx: dict[str, Any]) -> dict[str, int]:
    """Every minute: jobs users wait for whose arq job Redis lost are queued again (core.jobs)."""
    return await jobs.requeue(ctx["redis"])


async def _purge_jobs(ctx: dict[str, Any]) -> int:
    """Hourly: records of jobs finished more than a day ago go (core.jobs.KEEP)."""
    return await jobs.purge()


@dataclass
class WorkerPlan:
    functions: list[Function] = field(default_factory=list)
    cron_jobs: list[CronJob] = field(default_factory=list)
    event_handlers: dict[str, list[Handler]] = field(default_factory=dict)
    services: list[Any] = field(default_factory=list)  # long-lived coroutines (workers.services)


def _name_of(job: Any) -> str:
    return job.name if isinstance(job, Function | CronJob) else job.__name__


def compose(modules: Sequence[Module]) -> WorkerPlan:
    plan = WorkerPlan(
        functions=[func(_dispatch_event, name=events.DISPATCH_JOB, max_tries=DISPATCH_TRIES)],
        cron_jobs=[
            cron(_relay_outbox, name="core.relay_outbox", second=set(range(0, 60, 2)),
                 run_at_startup=True, unique=True, timeout=60),
            cron(_purge_idempotency_keys, name=PURGE_IDEMPOTENCY_KEYS, minute={23}, unique=True, timeout=600),
            cron(_requeue_jobs, name=REQUEUE_JOBS, second={31}, run_at_startup=True, unique=True, timeout=60),
            cron(_purge_jobs, name=PURGE_JOBS, minute={29}, unique=True, timeout=600),
        ],
    )
    owner = dict.fromkeys([events.DISPATCH_JOB, "core.relay_outbox", PURGE_IDEMPOTENCY_KEYS, REQUEUE_JOBS, PURGE_JOBS],
                          "core")
    for module in modules:
        contribution = module.load_worker()
        for job in [*contribution.functions, *contribution.cron_jobs]:
            name = _name_of(job)
            if not name.startswith(f"{module.name}."):
                raise RegistryError(
                    f"module {module.name!r} defines job {name!r}: job names must start with "
                    f"'{module.name}.'"
                )
            if name in owner:
                raise RegistryError(
                    f"job {name!r} is defined by both {owner[name]!r} and {module.name!r}"
                )
            owner[name] = module.name
        plan.functions.extend(
            f if isinstance(f, Function) else func(f, name=_name_of(f)) for f in contribution.functions
        )
        plan.cron_jobs.extend(contribution.cron_jobs)
        for topic, handlers in contribution.event_handlers.items():
            plan.event_handlers.setdefault(topic, []).extend(handlers)
        plan.services.extend(contribution.services)
    return plan
