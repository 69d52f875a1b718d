"""Running the arq worker: in the API process (embedded mode) or as `sellercare worker`.

arq's `Worker.main` logs Redis `INFO`, which fakeredis does not implement; `FakeRedisWorker`
skips only that, so embedded mode runs the very same arq code on an in-process fakeredis.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from arq.utils import poll
from arq.worker import Worker

from core.runtime import Runtime
from workers.services import Services
from workers.settings import compose


class SellercareWorker(Worker):
    """arq's worker, keeping its slots busy. arq's semaphore has `max_jobs + 1` permits, so a poll
    that finds every slot taken stops picking until the next poll, `poll_delay` later: jobs of 20 ms
    ran at 6 / 0.2 s = 30 a second whatever the backlog (bench/outbox.py). Here a poll hands each
    job it read to the next slot that frees, and stops as soon as the worker is told to stop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queue_read_limit", 4 * int(kwargs.get("max_jobs", 10)))  # bounds one poll's time
        super().__init__(*args, **kwargs)
        self.sem = asyncio.BoundedSemaphore(self.max_jobs)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job_id in job_ids:
            await self.sem.acquire()  # wait for a free slot (this loop is its only other taker)
            self.sem.release()
            if not self.allow_pick_jobs:  # told to stop while waiting: pick nothing more
                return
            await super().start_jobs([job_id])


class FakeRedisWorker(SellercareWorker):
    async def main(self) -> None:
        self.ctx["redis"] = self.pool
        async for _ in poll(self.poll_delay_s):
            await self._poll_iteration()
            if self.burst and await self.pool.zcard(self.queue_name) == 0:
                await asyncio.gather(*self.tasks.values())
                return


# The cron scans (outbox relay, SLA scan, purges) have a queue and a worker of their own, so a backlog
# of event handlers or a long import never delays them, nor they the handlers.
CRON_QUEUE = "arq:cron"


def _worker(rt: Runtime, *, handle_signals: bool, burst: bool, **kwargs: Any) -> Worker:
    worker_class = FakeRedisWorker if rt.settings.embedded else SellercareWorker
    return worker_class(redis_pool=rt.redis, handle_signals=handle_signals, burst=burst, poll_delay=0.2, **kwargs)


def build_worker(rt: Runtime, *, handle_signals: bool, burst: bool = False, **kwargs: Any) -> Worker:
    """The worker of the jobs queue: event handlers and the modules' jobs, `worker_jobs` at once."""
    plan = compose(rt.modules)
    return _worker(rt, handle_signals=handle_signals, burst=burst, functions=plan.functions,
                   max_jobs=rt.settings.worker_jobs, ctx={"rt": rt, "event_handlers": plan.event_handlers},
                   **kwargs)


def build_cron_worker(rt: Runtime, *, burst: bool = False, **kwargs: Any) -> Worker:
    """The worker of the cron queue: the modules' cron entries, `worker_cron_jobs` at once. Each entry
    is enqueued once per tick whatever the number of worker processes (arq's `unique`)."""
    plan = compose(rt.modules)
    return _worker(rt, handle_signals=False, burst=burst, functions=[], cron_jobs=plan.cron_jobs,
                   queue_name=CRON_QUEUE, max_jobs=rt.settings.worker_cron_jobs,
                   ctx={"rt": rt, "event_handlers": plan.event_handlers}, **kwargs)


class InProcessWorker:
    """Both workers as tasks of the API process (embedded mode); they share its Redis client. The
    modules' worker services (IMAP listeners) run here too."""

    def __init__(self, rt: Runtime):
        self.workers = [build_worker(rt, handle_signals=False), build_cron_worker(rt)]
        self.services = Services(rt)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(w.main(), name=f"arq-worker-{w.queue_name}") for w in self.workers]
        self.services.start()

    async def stop(self) -> None:
        await self.services.stop()
        for worker in self.workers:
            for task in worker.tasks.values():
                task.cancel()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
