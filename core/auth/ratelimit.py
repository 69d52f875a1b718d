"""Fixed-window failure counters in Redis, shared by every API process (fakeredis when embedded)."""

from __future__ import annotations

from redis.asyncio import Redis

PREFIX = "sellercare:ratelimit:"


async def exceeded(redis: Redis, key: str, limit: int) -> bool:
    """True when `limit` failures were already counted in the current window."""
    count = await redis.get(PREFIX + key)
    return count is not None and int(count) >= limit


async def hit(redis: Redis, key: str, window_seconds: int) -> None:
    """Count one failure; the window starts at the first failure."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(PREFIX + key)
        pipe.expire(PREFIX + key, window_seconds, nx=True)
        await pipe.execute()


async def reset(redis: Redis, key: str) -> None:
    await redis.delete(PREFIX + key)


async def count(redis: Redis, key: str) -> int:
    """Failures counted in the current window."""
    value = await redis.get(PREFIX + key)
    return 0 if value is None else int(value)
