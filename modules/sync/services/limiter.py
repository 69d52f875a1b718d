"""A token bucket in Redis per (platform, account, operation), shared by every worker process.

One Lua script refills the bucket by the time passed (Redis's own clock, so processes on several
machines agree) and takes the cost when it is there, atomically; otherwise it answers how long to
wait and takes nothing. `observe` sets the bucket to what the platform reports (Shopify's
throttleStatus), the truth that other clients of the same shop also drain.
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

KEY = "sync:bucket:{platform}:{account}:{operation}"
MAX_SLEEP = 30.0  # seconds slept at once before asking again
TTL_MS = 3_600_000  # an idle bucket is full again long before: it is dropped

_TAKE = """
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
local cap, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
local tokens = tonumber(state[1]) or cap
local last = tonumber(state[2]) or ms
tokens = math.min(cap, tokens + math.max(0, ms - last) * rate / 1000)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ms', tostring(ms))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return tostring(wait)
"""

_SET = """
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('HSET', KEYS[1], 'tokens', ARGV[1], 'ms', tostring(ms))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


class TokenBucket:
    def __init__(self, redis: Redis, platform: str, account: int, operation: str, capacity: float,
                 rate: float) -> None:
        self.redis, self.capacity, self.rate = redis, capacity, rate
        self.key = KEY.format(platform=platform, account=account, operation=operation)

    async def wait_time(self, cost: float) -> float:
        """Take `cost` now and answer 0, or take nothing and answer the seconds until it is there."""
        cost = min(cost, self.capacity)
        answer = await self.redis.eval(_TAKE, 1, self.key, str(self.capacity), str(self.rate), str(cost),  # type: ignore[misc]
                                       str(TTL_MS))
        return float(answer.decode() if isinstance(answer, bytes) else answer)

    async def take(self, cost: float) -> float:
        """Wait until `cost` is available and take it; returns the seconds waited."""
        waited = 0.0
        while (wait := await self.wait_time(cost)) > 0:
            pause = min(wait, MAX_SLEEP)
            await asyncio.sleep(pause)
            waited += pause
        return waited

    async def observe(self, available: float, capacity: float | None = None, rate: float | None = None) -> None:
        """The bucket as the platform reports it."""
        if capacity:
            self.capacity = capacity
        if rate:
            self.rate = rate
        await self.redis.eval(_SET, 1, self.key, str(max(0.0, available)), str(TTL_MS))  # type: ignore[misc]
