"""Telling a stuck job from a slow one: a running job's record carries the time it last saved
(`heartbeat_at`), and it saves at least every BEAT_EVERY seconds while it works. A running job
whose heartbeat is older than STALLED_AFTER belongs to a worker that died (killed, out of memory,
its retries spent): it reads as failed with WORKER_LOST, so nobody waits on it for ever, until it
is resumed (arq runs it again, or core.jobs.requeue queues it again) and saves "running" again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

BEAT_EVERY = 5.0
STALLED_AFTER = timedelta(minutes=2)


def stalled(heartbeat_at: datetime | None, now: datetime | None = None) -> bool:
    if heartbeat_at is None:
        return False
    return (now or datetime.now(UTC)) - heartbeat_at > STALLED_AFTER


@contextlib.asynccontextmanager
async def beating(save: Callable[[], Awaitable[None]], every: float = BEAT_EVERY) -> AsyncIterator[None]:
    """Call `save` every `every` seconds while the block runs (a job that writes no progress of its own)."""
    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            await save()

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
