"""Tell every process that a tenant's policies changed, over Redis pub/sub.

The publishing process invalidates its own cache at once; others drop theirs when the message
arrives. The cache TTL bounds staleness should a message ever be lost (a Redis restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis

from core.access.control import AccessControl

CHANNEL = "sellercare:policy-changed"
ALL = "*"
log = logging.getLogger(__name__)


class PolicyWatcher:
    def __init__(self, redis: Redis, access: AccessControl):
        self.redis = redis
        self.access = access
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def changed(self, tenant_id: int | None) -> None:
        self.access.invalidate(tenant_id)
        await self.redis.publish(CHANNEL, ALL if tenant_id is None else str(tenant_id))

    def _apply(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        if text == ALL:
            self.access.invalidate(None)
        elif text.isdigit():
            self.access.invalidate(int(text))

    async def _run(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    # Anything missed while (re)subscribing: start from a clean cache.
                    self.access.invalidate(None)
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._apply(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # connection lost: retry, and never serve from a stale cache
                self._ready.clear()
                log.warning("policy watcher lost its Redis subscription; retrying")
                self.access.invalidate(None)
                await asyncio.sleep(1)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="policy-watcher")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
