"""What `/health` tells a load balancer: whether this process can serve, right now.

The database is required (503 without it: take the process out of rotation). Redis is not: logins,
the queue and live updates degrade while it is away, reads and writes go on, so a Redis outage
answers 200 with `"status": "degraded"` rather than emptying the pool of every API process.
Each probe has a short deadline, so the health check itself never hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from tortoise import connections

DATABASE_DEADLINE = 2.0
REDIS_DEADLINE = 1.0


async def _probe(check: Awaitable[Any], deadline: float) -> str:
    try:
        await asyncio.wait_for(check, deadline)
    except Exception:  # noqa: BLE001 - any failure means "not now"; its details are not the client's
        return "down"
    return "ok"


async def _select_one() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def health(redis: Any) -> tuple[int, dict[str, str]]:
    database = await _probe(_select_one(), DATABASE_DEADLINE)
    cache = await _probe(redis.ping(), REDIS_DEADLINE) if redis is not None else "ok"
    if database != "ok":
        return 503, {"status": "unavailable", "database": database, "redis": cache}
    return 200, {"status": "ok" if cache == "ok" else "degraded", "database": database, "redis": cache}
