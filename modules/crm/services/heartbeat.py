"""Telling a stuck job from a slow one: a running job's status carries the time it last saved
(`heartbeat_at`), and saves at least every BEAT_EVERY seconds while it works. A "running" status
whose heartbeat is older than STALLED_AFTER belongs to a job whose worker died (killed, out of
memory, its retries spent): readers show it as failed with WORKER_LOST, so nobody waits on it for
ever. If arq runs the job again, it saves "running" again and the status follows."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

from core.i18n import N_

BEAT_EVERY = 5.0
STALLED_AFTER = timedelta(minutes=2)
WORKER_LOST = N_("The worker running this job stopped before it finished. Start it again.")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def stalled(heartbeat_at: str | None, now: datetime | None = None) -> bool:
    if heartbeat_at is None:
        return False
    return (now or datetime.now(UTC)) - datetime.fromisoformat(heartbeat_at) > STALLED_AFTER


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
