"""Small helpers for the few raw SQL statements the ORM cannot express (window functions, COPY),
written once for both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.exceptions import ConfigurationError


def connection() -> BaseDBAsyncClient:
    return connections.get("default")


def transaction_open() -> bool:
    """Whether this task runs inside a transaction: tortoise keeps the open transaction's client
    in a contextvar, which tasks started inside inherit (and `in_transaction()` then nests as a
    savepoint)."""
    try:
        return isinstance(connection(), TransactionalDBClient)
    except (RuntimeError, ConfigurationError):  # tortoise not initialised: no transaction either
        return False


def params(conn: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    """Placeholders: `?` for SQLite, `$1, $2...` for PostgreSQL (asyncpg)."""
    if conn.capabilities.dialect == "sqlite":
        return ["?"] * count
    return [f"${i}" for i in range(start, start + count)]


async def fetch(sql: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows as dicts; `sql` uses `{p[0]}`, `{p[1]}`... for its placeholders, filled per dialect."""
    conn = connection()
    return await conn.execute_query_dict(sql.format(p=params(conn, len(values))), list(values))
