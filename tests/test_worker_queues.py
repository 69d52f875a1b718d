"""The worker's two queues: cron scans never wait behind a backlog of handlers or a long import,
and a worker process opens a connection for every job it runs at once."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from core.db import tortoise_config
from core.settings import Settings, SettingsError
from workers.embedded import CRON_QUEUE, build_cron_worker, build_worker


async def test_cron_entries_run_on_their_own_queue_with_their_own_slots(rt: Any) -> None:
    settings = dataclasses.replace(rt.settings, worker_jobs=3, worker_cron_jobs=2)
    custom = dataclasses.replace(rt, settings=settings)
    jobs, cron = build_worker(custom, handle_signals=False), build_cron_worker(custom)
    assert jobs.queue_name != cron.queue_name == CRON_QUEUE
    assert (jobs.max_jobs, cron.max_jobs) == (3, 2)
    assert jobs.cron_jobs == [] and "core.dispatch_event" in jobs.functions
    cron_names = {c.name for c in cron.cron_jobs}
    assert {"core.relay_outbox", "aftersales.sla_scan"} <= cron_names, cron_names
    # A cron entry's function is known only to the cron worker, every other job only to the jobs one.
    assert not cron_names & set(jobs.functions)
    assert set(cron.functions) == cron_names


def test_pool_and_slots_come_from_the_environment_and_bad_values_are_refused() -> None:
    s = Settings.from_env({"DB_POOL_SIZE": "25", "WORKER_JOBS": "12", "WORKER_CRON_JOBS": "3"})
    assert (s.db_pool_size, s.worker_jobs, s.worker_cron_jobs) == (25, 12, 3)
    config = tortoise_config("postgres://u@db:5432/x", [], s.db_pool_size)
    assert config["connections"]["default"]["credentials"]["maxsize"] == 25
    explicit = tortoise_config("postgres://u@db:5432/x?maxsize=7", [], s.db_pool_size)
    assert int(explicit["connections"]["default"]["credentials"]["maxsize"]) == 7
    for bad in ("0", "-1", "ten", "5000"):
        with pytest.raises(SettingsError, match="WORKER_JOBS must be a whole number"):
            Settings.from_env({"WORKER_JOBS": bad})


async def _sleepy(ctx: dict[str, Any]) -> None:
    import asyncio

    await asyncio.sleep(0.02)


async def test_a_poll_keeps_every_slot_busy_while_jobs_are_queued(rt: Any) -> None:
    """arq alone starts at most `max_jobs` jobs per poll when they take any time (30 jobs a second at
    6 slots and a 0.2 s poll): one poll of ours hands every job it read to the next free slot."""
    from arq import func

    from workers.embedded import FakeRedisWorker, SellercareWorker

    worker_class = FakeRedisWorker if rt.settings.embedded else SellercareWorker
    queue = f"test:slots:{id(rt)}"
    for _ in range(6):
        await rt.redis.enqueue_job("test.sleepy", _queue_name=queue)
    worker = worker_class(functions=[func(_sleepy, name="test.sleepy")], redis_pool=rt.redis, queue_name=queue,
                          max_jobs=2, handle_signals=False, burst=True, keep_result=0)
    worker.ctx["redis"] = rt.redis
    await worker._poll_iteration()
    assert worker.jobs_complete + len(worker.tasks) == 6  # started in one poll, two at a time
    assert len(worker.tasks) <= 2
    stopped = worker_class(functions=[func(_sleepy, name="test.sleepy")], redis_pool=rt.redis, queue_name=queue,
                           max_jobs=2, handle_signals=False, burst=True)
    stopped.allow_pick_jobs = False
    await stopped.start_jobs([b"any"])
    assert stopped.tasks == {}  # told to stop: picks nothing
    for task in worker.tasks.values():
        await task
