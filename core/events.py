"""Events through a transactional outbox, relayed to arq, handled exactly once per handler.

`emit` writes the event in the caller's transaction: if the change rolls back, so does the event.
`relay` sends owed events to arq. An event stays owed until every handler has committed: a job
lost in Redis (flushed, restarted) or with its worker (killed) is sent again once REDELIVER_AFTER
has passed; a delivery that fails (a handler raised, the database went away) is sent again after
a back-off, up to MAX_ATTEMPTS, then marked failed for an operator (`last_error` names the
exception's type). `dispatch` runs each handler in its own transaction together with a receipt
row keyed by (event id, handler): a repeated delivery skips handlers that already ran.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.connections import ArqRedis
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import after_commit
from core.models import EventReceipt, OutboxEvent

DISPATCH_JOB = "core.dispatch_event"
Handler = Callable[[OutboxEvent], Awaitable[None]]
log = logging.getLogger(__name__)
# A delivery not finished this long after it was sent is taken as lost (longer than a dispatch
# job may run, arq's default timeout of 300 s, plus queueing).
REDELIVER_AFTER = timedelta(minutes=6)
MAX_ATTEMPTS = 12
RELAY_BATCH = 200  # events per relay transaction


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s... capped at an hour: twelve attempts span about five hours."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


# How many rule firings led to the events emitted now: an automation rule's actions run with the
# depth of the event that fired it plus one, and every event they emit carries it in its payload, so
# rules that keep triggering one another are stopped at a depth (modules/automation).
CHAIN_DEPTH = "chain_depth"
_chain_depth: ContextVar[int] = ContextVar("chain_depth", default=0)


@contextmanager
def chained(depth: int) -> Iterator[None]:
    """Events emitted inside carry `chain_depth: depth` (what a firing's actions cause)."""
    token = _chain_depth.set(depth)
    try:
        yield
    finally:
        _chain_depth.reset(token)


def chain_depth(event: OutboxEvent) -> int:
    depth = event.payload.get(CHAIN_DEPTH, 0) if isinstance(event.payload, dict) else 0
    return depth if isinstance(depth, int) and not isinstance(depth, bool) else 0


async def emit(topic: str, payload: dict[str, Any], tenant_id: int | None = None, *,
               event_id: uuid.UUID | None = None) -> OutboxEvent:
    """`event_id`: an id the caller can compute again later (`stable_id`), to find the event's
    attempts without storing its id; random otherwise."""
    if depth := _chain_depth.get():
        payload = {**payload, CHAIN_DEPTH: depth}
    return await OutboxEvent.create(id=event_id or uuid.uuid4(), topic=topic, payload=payload, tenant_id=tenant_id)


def stable_id(topic: str, key: str) -> uuid.UUID:
    """The same id for the same (topic, key): one event per thing, found again from the thing."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"sellercare:{topic}:{key}")


async def relay(redis: ArqRedis, limit: int = RELAY_BATCH) -> int:
    """Send owed events that are due (new, lost, or past their back-off); safe to run in several
    processes at once. The first send's job id is the event's, so a double relay enqueues once."""
    now = datetime.now(UTC)
    async with in_transaction():
        events = (
            await OutboxEvent.filter(handled_at=None, failed_at=None)
            .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
            .order_by("created_at")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        for event in events:
            job_id = f"event:{event.id}" if event.relayed_at is None else f"event:{event.id}:{now.timestamp():.0f}"
            await redis.enqueue_job(DISPATCH_JOB, str(event.id), _job_id=job_id)
        if events:
            await OutboxEvent.filter(id__in=[e.id for e in events]).update(
                relayed_at=now, next_attempt_at=now + REDELIVER_AFTER)
    return len(events)


def handler_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


async def dispatch(event_id: str, handlers: Mapping[str, Sequence[Handler]]) -> list[str]:
    """Run the topic's handlers that have not run yet for this event; returns those that ran.
    When they all have, the event is handled (marked in the last handler's own transaction: one
    statement less per event); when one fails, it is owed again after a back-off."""
    event = await OutboxEvent.get_or_none(id=event_id)
    if event is None or event.handled_at is not None:
        return []
    ran: list[str] = []
    marked = False
    topic_handlers = list(handlers.get(event.topic, ()))
    try:
        for position, handler in enumerate(topic_handlers, start=1):
            name = handler_name(handler)
            try:
                # What a handler tells other processes (a live update, a job) waits for its commit.
                with after_commit.deferring() as effects:
                    async with in_transaction():
                        await EventReceipt.create(event_id=event.id, handler=name)
                        await handler(event)
                        if position == len(topic_handlers):
                            await _mark_handled(event)
                            marked = True
                await after_commit.run(effects)
            except IntegrityError:
                if await EventReceipt.filter(event_id=event.id, handler=name).exists():
                    continue  # already handled by an earlier delivery
                raise
            ran.append(name)
    except Exception as exc:
        await _failed(event, exc)
        raise
    if not marked:
        await _mark_handled(event)
    return ran


async def _mark_handled(event: OutboxEvent) -> None:
    await OutboxEvent.filter(id=event.id).update(handled_at=datetime.now(UTC))


async def _failed(event: OutboxEvent, exc: Exception) -> None:
    """Owed again after a back-off; given up (failed_at) after MAX_ATTEMPTS. Best effort: with the
    database away this write fails too, and the event is sent again after REDELIVER_AFTER."""
    attempts = event.attempts + 1
    now = datetime.now(UTC)
    error = f"{type(exc).__module__}.{type(exc).__qualname__}"
    code = getattr(exc, "public_code", None)  # an error code made to be shown (never a message)
    error = (f"{error}: {code}" if isinstance(code, str) and code else error)[:200]
    try:
        await OutboxEvent.filter(id=event.id).update(
            attempts=attempts, last_error=error, next_attempt_at=now + backoff(attempts),
            failed_at=now if attempts >= MAX_ATTEMPTS else None)
    except Exception:  # noqa: BLE001 - the original error is what the job reports
        log.warning("event %s: could not record failed attempt %s", event.id, attempts)
    if attempts >= MAX_ATTEMPTS:
        log.error("event %s (%s) failed %s times, last with %s: given up", event.id, event.topic, attempts, error)
    else:
        log.warning("event %s (%s) attempt %s failed with %s: retried in %s", event.id, event.topic, attempts,
                    error, backoff(attempts))
