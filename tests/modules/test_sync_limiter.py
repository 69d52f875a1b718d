"""The Redis token bucket every worker process shares (modules.sync.services.limiter): on the suite's
Redis (fakeredis with Lua in embedded mode, the real server on PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from modules.sync.services.limiter import TokenBucket


def bucket(rt: Any, account: int, capacity: float = 10.0, rate: float = 20.0) -> TokenBucket:
    return TokenBucket(rt.redis, "fake", account, "graphql", capacity, rate)


async def test_the_bucket_gives_its_capacity_then_its_rate_to_all_its_holders_together(rt: Any) -> None:
    account = uuid.uuid4().int % 10**9
    first, second = bucket(rt, account, rate=2.0), bucket(rt, account, rate=2.0)  # two processes, one shop
    assert [await first.wait_time(4) for _ in range(2)] == [0.0, 0.0]
    wait = await second.wait_time(4)  # 2 tokens left of the shared 10: 2 more at 2/s is a second
    assert 0.8 <= wait <= 1.0
    assert await bucket(rt, account + 1).wait_time(10) == 0.0  # another account has its own bucket
    account = uuid.uuid4().int % 10**9
    holders = [bucket(rt, account), bucket(rt, account), bucket(rt, account)]
    started = time.monotonic()
    await asyncio.gather(*(b.take(5) for b in holders + holders))
    assert time.monotonic() - started >= 0.9 * 20 / 20  # 30 tokens wanted, 10 there: 20 more at 20/s


async def test_the_platform_s_report_sets_the_bucket(rt: Any) -> None:
    shared = bucket(rt, uuid.uuid4().int % 10**9)
    await shared.observe(0.0, capacity=100.0, rate=50.0)
    wait = await shared.wait_time(25)
    assert 0.45 <= wait <= 0.5
    assert await shared.wait_time(500) <= 100 / 50  # a cost above the capacity waits for a full bucket, not for ever
