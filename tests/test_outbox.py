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
        for _ in range(50):  # other tests' events may be owed too: relay until ours went out
            await events.relay(rt.redis)
            if await OutboxEvent.filter(id=event.id, relayed_at__isnull=False).exists():
                break
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


flaky_calls: list[str] = []


async def flaky(event: OutboxEvent) -> None:
    """Fails on its first delivery (as when the database goes away mid-handler), then works."""
    flaky_calls.append(str(event.id))
    if flaky_calls.count(str(event.id)) == 1:
        raise ConnectionError("database went away")


async def _due(event: OutboxEvent) -> None:
    """Let time pass: the event's back-off or redelivery window is over."""
    from datetime import UTC, datetime, timedelta

    await OutboxEvent.filter(id=event.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))


async def test_a_failed_delivery_stays_owed_and_runs_after_its_back_off(rt: Any, relay: Any) -> None:
    async with in_transaction():
        event = await events.emit("test.flaky", {"n": 4})
    handlers = {"test.flaky": [flaky, remember]}
    with pytest.raises(ConnectionError):
        await events.dispatch(str(event.id), handlers)
    row = await OutboxEvent.get(id=event.id)
    assert row.handled_at is None and row.attempts == 1 and row.last_error == "builtins.ConnectionError"
    assert row.next_attempt_at is not None and row.failed_at is None
    await relay(rt.redis)
    assert (await OutboxEvent.get(id=event.id)).relayed_at is None  # within its back-off: not sent
    await _due(row)
    assert await events.dispatch(str(event.id), handlers) == [events.handler_name(flaky),
                                                                events.handler_name(remember)]
    assert flaky_calls.count(str(event.id)) == 2 and calls.count(str(event.id)) == 1
    assert (await OutboxEvent.get(id=event.id)).handled_at is not None
    assert await events.dispatch(str(event.id), handlers) == []  # handled: a late duplicate does nothing


async def test_an_event_whose_job_was_lost_is_sent_again(rt: Any, relay: Any) -> None:
    """Relayed, then Redis lost the queued job (flushed, restarted): still owed, sent again once its
    redelivery window passes, and handled once."""
    from arq.connections import ArqRedis

    async with in_transaction():
        event = await events.emit("test.lost", {"n": 5})
    queue: list[tuple[str, str]] = []

    class Recorder:
        async def enqueue_job(self, name: str, event_id: str, _job_id: str) -> None:
            queue.append((event_id, _job_id))

    recorder: ArqRedis = Recorder()  # type: ignore[assignment]
    for _ in range(50):  # other tests' events may be owed too: relay until ours went out
        await relay(recorder)
        if any(e == str(event.id) for e, _ in queue):
            break
    sent = [job for e, job in queue if e == str(event.id)]
    assert sent == [f"event:{event.id}"]
    queue.clear()  # the job is gone with Redis
    await relay(recorder)
    assert not [job for e, job in queue if e == str(event.id)]  # within its window: not sent twice
    await _due(await OutboxEvent.get(id=event.id))
    await relay(recorder)
    again = [job for e, job in queue if e == str(event.id)]
    assert len(again) == 1 and again[0].startswith(f"event:{event.id}:")  # a new job id: arq accepts it
    assert await events.dispatch(str(event.id), {"test.lost": [remember]}) == [events.handler_name(remember)]
    assert (await OutboxEvent.get(id=event.id)).handled_at is not None


async def test_an_event_failing_every_time_is_given_up_and_says_why(rt: Any, relay: Any) -> None:
    async def broken(event: OutboxEvent) -> None:
        raise ValueError("bad payload")

    async with in_transaction():
        event = await events.emit("test.broken", {"n": 6})
    for _ in range(events.MAX_ATTEMPTS):
        with pytest.raises(ValueError):
            await events.dispatch(str(event.id), {"test.broken": [broken]})
    row = await OutboxEvent.get(id=event.id)
    assert row.failed_at is not None and row.attempts == events.MAX_ATTEMPTS and row.handled_at is None
    assert row.last_error == "builtins.ValueError" and "bad payload" not in row.last_error
    await _due(row)
    queue: list[str] = []

    class Recorder:
        async def enqueue_job(self, name: str, event_id: str, _job_id: str) -> None:
            queue.append(event_id)

    await relay(Recorder())
    assert str(event.id) not in queue  # given up: an operator decides


async def test_one_relay_run_drains_a_backlog_in_batches(rt: Any, relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backlog goes out in one cron run, batch after batch, instead of one batch per 2-second tick
    (which capped the outbox at 100 events a second)."""
    from workers.settings import _relay_outbox

    ours = object()
    sizes = [events.RELAY_BATCH, events.RELAY_BATCH, 17]
    calls_made: list[int] = []

    async def batches(redis: Any, limit: int = events.RELAY_BATCH) -> int:
        if redis is not ours:
            return 0  # the embedded worker's own cron run
        calls_made.append(limit)
        return sizes[len(calls_made) - 1]

    monkeypatch.setattr(events, "relay", batches)
    assert await _relay_outbox({"redis": ours}) == 2 * events.RELAY_BATCH + 17
    assert calls_made == [events.RELAY_BATCH] * 3


async def test_a_delivery_that_meets_a_database_outage_is_retried_by_arq_soon(
        rt: Any, relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event's own back-off cannot be written while the database is away: arq tries the job
    again after 5, 10, 15, 20 s, then the outbox's redelivery takes over. A bug is not retried so."""
    from arq import Retry

    from workers.settings import DISPATCH_TRIES, _dispatch_event

    failure: list[Exception] = [ConnectionRefusedError(111, "Connection refused")]

    async def failing(*_: Any) -> list[str]:
        raise failure[0]

    monkeypatch.setattr(events, "dispatch", failing)
    for job_try in range(1, DISPATCH_TRIES):
        with pytest.raises(Retry) as retry:
            await _dispatch_event({"job_try": job_try, "event_handlers": {}}, "e")
        assert retry.value.defer_score == 5_000 * job_try
    with pytest.raises(ConnectionRefusedError):
        await _dispatch_event({"job_try": DISPATCH_TRIES, "event_handlers": {}}, "e")
    failure[0] = ValueError("a bug")
    with pytest.raises(ValueError):
        await _dispatch_event({"job_try": 1, "event_handlers": {}}, "e")
