"""Events through a transactional outbox, relayed to arq, handled at most once per handler.

`emit` writes the event in the caller's transaction: if the change rolls back, so does the event.
`relay` moves pending events to arq (job id = event id, so a double relay enqueues once).
`dispatch` runs each handler in its own transaction together with a receipt row keyed by
(event id, handler): a retried or re-delivered job skips handlers that already ran.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.models import EventReceipt, OutboxEvent

DISPATCH_JOB = "core.dispatch_event"
Handler = Callable[[OutboxEvent], Awaitable[None]]
log = logging.getLogger(__name__)


async def emit(topic: str, payload: dict[str, Any], tenant_id: int | None = None) -> OutboxEvent:
    return await OutboxEvent.create(id=uuid.uuid4(), topic=topic, payload=payload, tenant_id=tenant_id)


async def relay(redis: ArqRedis, limit: int = 200) -> int:
    """Enqueue pending events; safe to run in several processes at once."""
    async with in_transaction():
        events = (
            await OutboxEvent.filter(relayed_at=None)
            .order_by("created_at")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        for event in events:
            await redis.enqueue_job(DISPATCH_JOB, str(event.id), _job_id=f"event:{event.id}")
        if events:
            await OutboxEvent.filter(id__in=[e.id for e in events]).update(
                relayed_at=datetime.now(UTC)
            )
    return len(events)


def handler_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


async def dispatch(event_id: str, handlers: Mapping[str, Sequence[Handler]]) -> list[str]:
    """Run the topic's handlers that have not run yet for this event; returns those that ran."""
    event = await OutboxEvent.get_or_none(id=event_id)
    if event is None:
        return []
    ran: list[str] = []
    for handler in handlers.get(event.topic, ()):
        name = handler_name(handler)
        try:
            async with in_transaction():
                await EventReceipt.create(event_id=event.id, handler=name)
                await handler(event)
        except IntegrityError:
            if await EventReceipt.filter(event_id=event.id, handler=name).exists():
                continue  # already handled by an earlier delivery
            raise
        ran.append(name)
    return ran
