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
from workers.settings import compose


class FakeRedisWorker(Worker):
    async def main(self) -> None:
        self.ctx["redis"] = self.pool
        async for _ in poll(self.poll_delay_s):
            await self._poll_iteration()
            if self.burst and await self.pool.zcard(self.queue_name) == 0:
                await asyncio.gather(*self.tasks.values())
                return


def build_worker(rt: Runtime, *, handle_signals: bool, burst: bool = False, **kwargs: Any) -> Worker:
    plan = compose(rt.modules)
    worker_class = FakeRedisWorker if rt.settings.embedded else Worker
    return worker_class(
        functions=plan.functions,
        cron_jobs=plan.cron_jobs,
        redis_pool=rt.redis,
        ctx={"rt": rt, "event_handlers": plan.event_handlers},
        handle_signals=handle_signals,
        burst=burst,
        poll_delay=0.2,
        **kwargs,
    )


class InProcessWorker:
    """The arq worker as a task of the API process; it shares the process's Redis client."""

    def __init__(self, rt: Runtime):
        self.worker = build_worker(rt, handle_signals=False)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.worker.main(), name="arq-worker")

    async def stop(self) -> None:
        for task in self.worker.tasks.values():
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
