"""Events: written with the data (or not at all), relayed once, handled once per handler."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq.jobs import Job, JobStatus
from tortoise.transactions import in_transaction

from core import events
from core.models import EventReceipt, OutboxEvent

calls: list[str] = []


async def remember(event: OutboxEvent) -> None:
    calls.append(str(event.id))


async def test_an_event_rolls_back_with_its_transaction(rt: Any) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction():
            event = await events.emit("test.rolled_back", {"n": 1})
            raise RuntimeError("the change failed")
    assert not await OutboxEvent.filter(id=event.id).exists()


async def test_dispatch_is_idempotent_even_when_delivered_concurrently(rt: Any) -> None:
    async with in_transaction():
        event = await events.emit("test.once", {"n": 2})
    handlers = {"test.once": [remember]}
    results = await asyncio.gather(*[events.dispatch(str(event.id), handlers) for _ in range(5)])
    assert calls.count(str(event.id)) == 1
    assert sum(len(r) for r in results) == 1
    assert await EventReceipt.filter(event_id=event.id).count() == 1
    assert await events.dispatch(str(event.id), handlers) == []


async def test_relay_enqueues_each_event_once_and_the_worker_runs_it(rt: Any) -> None:
    from workers.embedded import build_worker

    async with in_transaction():
        event = await events.emit("test.relayed", {"n": 3})
    if rt.settings.embedded:
        # The in-process worker's relay cron picks it up by itself.
        for _ in range(100):
            if await OutboxEvent.filter(id=event.id, relayed_at__isnull=False).exists():
                break
            await asyncio.sleep(0.1)
    else:
        await events.relay(rt.redis)
    row = await OutboxEvent.get(id=event.id)
    assert row.relayed_at is not None
    # Relaying the same event again (a crashed relay) does not enqueue a second job.
    await rt.redis.enqueue_job(events.DISPATCH_JOB, str(event.id), _job_id=f"event:{event.id}")
    job = Job(f"event:{event.id}", rt.redis)
    if not rt.settings.embedded:
        worker = build_worker(rt, handle_signals=False, burst=True)
        await worker.main()
    for _ in range(100):
        if await job.status() == JobStatus.complete:
            break
        await asyncio.sleep(0.1)
    assert await job.status() == JobStatus.complete
    assert (await job.result(timeout=5)) == []  # no installed module handles test.relayed
