"""Redis clients: the real server when REDIS_URL is set, an in-process fakeredis when embedded."""

from __future__ import annotations

import fakeredis
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool

from core.settings import Settings

_fake_server: fakeredis.FakeServer | None = None


def _pool(settings: Settings) -> ConnectionPool:
    global _fake_server
    if settings.redis_url:
        return ConnectionPool.from_url(settings.redis_url)
    if _fake_server is None:
        _fake_server = fakeredis.FakeServer()
    return ConnectionPool(
        server=_fake_server, connection_class=fakeredis.FakeAsyncRedisConnection
    )


def connect(settings: Settings) -> ArqRedis:
    """One client for everything (arq, pub/sub, rate limits); ArqRedis is a redis.asyncio.Redis."""
    return ArqRedis(connection_pool=_pool(settings))
