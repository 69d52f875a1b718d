"""A fix for tortoise-orm 1.1.9 that a database outage needs.

`TransactionContextPooled.__aenter__` takes a connection from the pool, then sends BEGIN. When
BEGIN fails (the server went away, the session was cut), the exception leaves `__aenter__`, so
`__aexit__` never runs: the connection is never given back. Each outage then shrinks the pool for
good, and closing it at shutdown waits for the lost connections for ever (found by
tests/test_outage.py under load). The replacement releases the connection and resets the
context when BEGIN fails; everything else is tortoise's own code path.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import TransactionContextPooled
from tortoise.connection import get_connections

_original_enter = TransactionContextPooled.__aenter__


async def _enter(self: TransactionContextPooled) -> Any:
    await self.ensure_connection()
    self.client._connection = await self.client._parent._pool.acquire()
    self.token = get_connections().set(self.connection_name, self.client)
    try:
        await self.client.begin()
    except BaseException:
        get_connections().reset(self.token)
        await self.client._parent._pool.release(self.client._connection)
        raise
    return self.client


def apply() -> None:
    """Install the fix (idempotent); called when the database is opened (core.db.init_db)."""
    TransactionContextPooled.__aenter__ = _enter  # type: ignore[method-assign]
