"""The modules' worker services (core.registry.WorkerContribution.services): long-lived coroutines a
worker process runs beside its queues, such as the channels module's IMAP IDLE listeners.

`Services.start` runs each as a task with a shared `stopping` event; one that fails is logged and
started again after a back-off (1 s doubling to 60 s), so a bug or an outage in one never stops the
worker or the others. `Services.stop` sets `stopping` and waits up to STOP_GRACE seconds for each
to finish (end its IDLE, log out, release its lease); only one that is still running then is
cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from core.runtime import Runtime
from workers.settings import compose

log = logging.getLogger("sellercare.worker")
MAX_BACKOFF = 60.0
STOP_GRACE = 15.0
Service = Callable[[Runtime, asyncio.Event], Awaitable[None]]


def _name(service: Callable[..., Any]) -> str:
    return f"{getattr(service, '__module__', '?')}.{getattr(service, '__qualname__', repr(service))}"


async def _keep_running(rt: Runtime, service: Service, stopping: asyncio.Event) -> None:
    delay = 1.0
    while not stopping.is_set():
        try:
            await service(rt, stopping)
            return  # it ended by itself, or was told to stop
        except Exception:  # noqa: BLE001 - logged, started again: a service never stops the worker
            log.exception("worker service %s failed: starting it again in %.0f s", _name(service), delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        delay = min(delay * 2, MAX_BACKOFF)


class Services:
    def __init__(self, rt: Runtime, services: list[Service] | None = None) -> None:
        self.rt = rt
        self.services: list[Service] = compose(rt.modules).services if services is None else services
        self.tasks: list[asyncio.Task[None]] = []
        self.stopping = asyncio.Event()

    def start(self) -> None:
        if self.tasks:
            return
        self.stopping = asyncio.Event()
        self.tasks = [asyncio.create_task(_keep_running(self.rt, s, self.stopping), name=f"service-{_name(s)}")
                      for s in self.services]

    async def stop(self, grace: float = STOP_GRACE) -> None:
        tasks, self.tasks = self.tasks, []
        self.stopping.set()
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            log.warning("worker service %s did not stop within %.0f s: cancelled", task.get_name(), grace)
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
