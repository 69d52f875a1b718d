"""The outbox path against arq alone: events a second through one worker process, and its latency.

In a fresh PostgreSQL database `sellercare_bench_outbox_<pid>` on postgres://postgres@127.0.0.1:5432
(dropped afterwards) and Redis database 14 on 127.0.0.1:6379 (flushed), rounds alternate:
- outbox: N events are committed (one transaction each, as mutations write them), then the two
  workers of a worker process start (workers/embedded.py: the cron worker's relay, the jobs
  worker's dispatch with a receipt row per handler, here one no-op handler): the clock runs from
  the start until every event is handled (`handled_at`);
- arq: N no-op jobs are enqueued straight into arq, then a worker with the same settings
  (`worker_jobs` at once, the same poll delay) starts: the clock runs until every job is complete.
The ratio is outbox events/s over arq jobs/s. Also printed: the rate of committing events, and in
a last run with the workers already running, each event's latency from its commit to its handling
(p50/p99: the relay's 2-second cron tick is most of it).

    .venv/bin/python bench/outbox.py [--events N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402
from arq import func  # noqa: E402
from arq.worker import Worker  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from core import events, lifecycle  # noqa: E402
from core.models import OutboxEvent  # noqa: E402
from core.registry import Registry  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402
from workers.embedded import build_cron_worker, build_worker  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/14"
TOPIC = "bench.ping"


async def noop_handler(event: OutboxEvent) -> None:
    return None


async def noop_job(ctx: dict[str, Any]) -> None:
    return None


async def commit_events(n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        async with in_transaction():
            await events.emit(TOPIC, {"i": i})
    return n / (time.perf_counter() - start)


async def _until(done: Any, limit_s: float = 600) -> None:
    deadline = time.monotonic() + limit_s
    while not await done():
        if time.monotonic() > deadline:
            raise TimeoutError("the round did not finish")
        await asyncio.sleep(0.05)


async def _owed() -> bool:
    return not await OutboxEvent.filter(topic=TOPIC, handled_at=None).exists()


async def _run(workers: list[Worker], done: Any) -> float:
    start = time.perf_counter()
    tasks = [asyncio.create_task(w.main()) for w in workers]
    try:
        await _until(done)
        return time.perf_counter() - start
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _outbox_workers(rt: Runtime) -> list[Worker]:
    jobs = build_worker(rt, handle_signals=False)
    jobs.ctx["event_handlers"] = {**jobs.ctx["event_handlers"], TOPIC: [noop_handler]}
    return [jobs, build_cron_worker(rt)]


async def outbox_round(rt: Runtime, n: int) -> tuple[float, float]:
    await OutboxEvent.filter(topic=TOPIC).delete()
    commit_rate = await commit_events(n)
    elapsed = await _run(_outbox_workers(rt), _owed)
    return n / elapsed, commit_rate


async def arq_round(rt: Runtime, n: int) -> float:
    for i in range(n):
        await rt.redis.enqueue_job("bench.noop", _job_id=f"noop:{time.time_ns()}:{i}")
    worker = Worker(functions=[func(noop_job, name="bench.noop")], redis_pool=rt.redis, handle_signals=False,
                    poll_delay=0.2, max_jobs=rt.settings.worker_jobs, keep_result=0)

    async def finished() -> bool:
        return worker.jobs_complete >= n

    elapsed = await _run([worker], finished)
    return n / elapsed


async def latency(rt: Runtime, n: int) -> list[float]:
    """Events committed one by one while the workers run: each one's commit-to-handled time, in s."""
    await OutboxEvent.filter(topic=TOPIC).delete()
    workers = _outbox_workers(rt)
    tasks = [asyncio.create_task(w.main()) for w in workers]
    try:
        for i in range(n):
            async with in_transaction():
                await events.emit(TOPIC, {"i": i})
            await asyncio.sleep(0.01)
        await _until(_owed)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    rows = await OutboxEvent.filter(topic=TOPIC).values_list("created_at", "handled_at")
    return sorted((handled - created).total_seconds() for created, handled in rows)


async def main(n: int, rounds: int) -> None:
    name = f"sellercare_bench_outbox_{os.getpid()}"
    url = await create_pg_database(name)
    flush = aioredis.from_url(REDIS_URL)
    await flush.flushdb()
    await flush.aclose()
    with tempfile.TemporaryDirectory() as var:
        env = {"SELLERCARE_ENV": "test", "SECRET_KEY": "o" * 48, "SELLERCARE_VAR_DIR": var,
               "DATABASE_URL": url, "REDIS_URL": REDIS_URL}
        settings = Settings.from_env(env)
        await lifecycle.migrate_all(settings, Registry.discover())
        rt = await Runtime.start(settings)
        try:
            print(f"# outbox vs arq: {n} events per round, {rounds} rounds, worker_jobs={settings.worker_jobs}, "
                  "PostgreSQL + Redis on 127.0.0.1")
            ours, theirs, commits = [], [], []
            for r in range(rounds):
                rate, commit_rate = await outbox_round(rt, n)
                base = await arq_round(rt, n)
                ours.append(rate)
                theirs.append(base)
                commits.append(commit_rate)
                print(f"round {r + 1}: outbox {rate:,.0f} events/s, arq no-op {base:,.0f} jobs/s, "
                      f"ratio {rate / base:.2f}; committing {commit_rate:,.0f} events/s")
            o, a = statistics.median(ours), statistics.median(theirs)
            print(f"median: outbox {o:,.0f} events/s, arq {a:,.0f} jobs/s, ratio {o / a:.2f}; "
                  f"committing {statistics.median(commits):,.0f} events/s")
            lat = await latency(rt, 300)
            print(f"latency commit -> handled, 300 events at ~100/s: p50 {lat[len(lat) // 2]:.2f} s, "
                  f"p99 {lat[int(len(lat) * 0.99)]:.2f} s, max {lat[-1]:.2f} s")
        finally:
            await rt.stop()
    await drop_pg_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.rounds))
