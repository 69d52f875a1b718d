"""Live notifications between processes over Redis pub/sub, one channel per tenant and topic.

An API process holds one `Hub`: one Redis pub/sub connection whatever the number of open
subscriptions, subscribed to a channel while at least one local listener wants it. A publish in
any process (API or worker) reaches the listeners of every process. Embedded mode runs the same
code on fakeredis.

Messages are small JSON objects that name what changed (an id and a kind), never its content:
a listener re-reads the row through its own tenant scope and permissions. Delivery is best
effort, as Redis pub/sub is: a message published while a process is reconnecting is lost, and a
listener that falls too far behind is ended, so its client resubscribes and re-reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from core import after_commit

log = logging.getLogger(__name__)

PREFIX = "sellercare"
QUEUE_LIMIT = 256  # messages a slow listener may have waiting before it is ended
SUBSCRIBE_TIMEOUT = 10.0


def channel(tenant_id: int, topic: str) -> str:
    """The Redis channel of one tenant's topic ("sellercare:42:aftersales.ticket")."""
    if not isinstance(tenant_id, int) or isinstance(tenant_id, bool):
        raise TypeError("tenant_id must be an int")
    return f"{PREFIX}:{tenant_id}:{topic}"


class Listener:
    """One local subscription: an async iterator of messages, ended when it overflows or closes."""

    def __init__(self, limit: int = QUEUE_LIMIT):
        self._limit = limit
        self._items: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self.overflowed = False
        self.closed = False

    def push(self, message: dict[str, Any]) -> bool:
        """Queue a message; False when this one overflowed the listener (it is ended)."""
        if self.closed:
            return True
        self._wake.set()
        if len(self._items) >= self._limit:
            self.overflowed = self.closed = True
            return False
        self._items.append(message)
        return True

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not self._items:
            if self.closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        if self.overflowed:
            raise StopAsyncIteration
        return self._items.popleft()


class Hub:
    def __init__(self, redis: Redis, queue_limit: int = QUEUE_LIMIT):
        self.redis = redis
        self.queue_limit = queue_limit
        self._pubsub: PubSub | None = None
        self._listeners: dict[str, set[Listener]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def publish(self, tenant_id: int, topic: str, message: Mapping[str, Any]) -> int:
        """Send to every process; returns how many Redis subscribers (processes) received it."""
        return int(await self.redis.publish(channel(tenant_id, topic), json.dumps(dict(message))))

    def listening(self, tenant_id: int, topic: str) -> int:
        """How many local listeners a tenant's topic has in this process (Redis counts processes)."""
        return len(self._listeners.get(channel(tenant_id, topic), ()))

    @contextlib.asynccontextmanager
    async def subscribe(self, tenant_id: int, topic: str) -> AsyncIterator[Listener]:
        """Listen to one tenant's topic; on return from `__aenter__` Redis has the subscription."""
        name = channel(tenant_id, topic)
        listener = Listener(self.queue_limit)
        async with self._lock:
            listeners = self._listeners.setdefault(name, set())
            first = not listeners
            listeners.add(listener)
            if first:
                confirmed = self._confirmed[name] = asyncio.Event()
                try:
                    await self._connection().subscribe(name)
                    self._start_reader()
                    await asyncio.wait_for(confirmed.wait(), SUBSCRIBE_TIMEOUT)
                except BaseException:
                    listeners.discard(listener)
                    self._listeners.pop(name, None)
                    self._confirmed.pop(name, None)
                    with contextlib.suppress(Exception):
                        await self._connection().unsubscribe(name)
                    raise
        try:
            yield listener
        finally:
            listener.close()
            await self._leave(name, listener)

    async def _leave(self, name: str, listener: Listener) -> None:
        async with self._lock:
            listeners = self._listeners.get(name)
            if listeners is None:
                return
            listeners.discard(listener)
            if listeners:
                return
            del self._listeners[name]
            self._confirmed.pop(name, None)
            if self._pubsub is not None:
                try:
                    await self._pubsub.unsubscribe(name)
                except Exception:  # the connection is gone: Redis dropped the subscription with it
                    log.warning("could not unsubscribe from a live channel", exc_info=True)

    def _connection(self) -> PubSub:
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub()
        return self._pubsub

    def _start_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="pubsub-hub")

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        raw_channel = message.get("channel")
        name = raw_channel.decode() if isinstance(raw_channel, bytes) else str(raw_channel)
        if kind == "subscribe":
            event = self._confirmed.get(name)
            if event is not None:
                event.set()
            return
        if kind != "message":
            return
        data = message.get("data")
        try:
            payload = json.loads(data.decode() if isinstance(data, bytes) else str(data))
        except ValueError:
            log.warning("ignored a live message that is not JSON on %s", name)
            return
        if not isinstance(payload, dict):
            return
        for listener in list(self._listeners.get(name, ())):
            if not listener.push(payload):
                log.warning("a live listener on %s fell behind and was ended", name)

    async def _read(self) -> None:
        pubsub = self._connection()
        while not self._closing:
            try:
                message = await pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # connection lost: redis-py reconnects and resubscribes on the next read
                if self._closing:
                    return
                log.warning("live updates lost their Redis connection; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            if message is not None:
                self._dispatch(message)

    async def close(self) -> None:
        """End every listener and the Redis subscription (process shutdown).

        fakeredis can swallow the reader's cancellation while it waits for a message, so the reader
        also stops on `_closing`, at the latest when its connection is closed under it."""
        self._closing = True
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.wait({reader}, timeout=1.0)
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.close()
        self._listeners.clear()
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        if reader is not None and not reader.done():
            await asyncio.wait({reader}, timeout=2.0)


# The hubs of the runtimes running in this process, newest last: services that publish (the
# ticket services, jobs) reach the current one without a runtime argument, as core.crypto does.
_hubs: list[Hub] = []


def install(hub: Hub) -> Hub:
    _hubs.append(hub)
    return hub


def uninstall(hub: Hub) -> None:
    if hub in _hubs:
        _hubs.remove(hub)


def current() -> Hub | None:
    """The hub of this process's runtime (None before a runtime started: nothing to publish to)."""
    return _hubs[-1] if _hubs else None


async def publish(tenant_id: int, topic: str, message: Mapping[str, Any]) -> bool:
    """Best effort: a live update must never fail the change that caused it. True when sent, or
    queued until the outer transaction commits (core.after_commit): a listener re-reads the row,
    which must be there by then."""
    hub = current()
    if hub is None:
        return False
    if after_commit.pending():
        live, copy = hub, dict(message)
        await after_commit.after_commit(lambda: _publish(live, tenant_id, topic, copy))
        return True
    return await _publish(hub, tenant_id, topic, message)


async def _publish(hub: Hub, tenant_id: int, topic: str, message: Mapping[str, Any]) -> bool:
    try:
        await hub.publish(tenant_id, topic, message)
    except Exception:
        log.warning("could not publish a live update on %s", topic, exc_info=True)
        return False
    return True
