"""Where an import writes: the same few operations on SQLite and on PostgreSQL.

SQL is written once with `?` for a value and `IN ?` for a list; PostgreSQL gets `$n` and
`= ANY($n)`, SQLite gets `IN (?, ?, ...)`.
- PostgreSQL: one raw asyncpg connection for the whole run (tortoise's pool hands it out). A batch
  is one transaction: new rows are COPYed (`copy_records_to_table`) into a TEMP staging table
  (`ON COMMIT DELETE ROWS`) and moved with `INSERT ... SELECT ... [ON CONFLICT DO NOTHING]`.
  Ids come from the table's sequence beforehand, so contacts and identities can point at
  customers before they are inserted.
- SQLite: tortoise's connection; a batch is one transaction of `executemany` inserts, with ids
  taken after the table's largest id (SQLite has one writer at a time; a concurrent writer makes
  the batch fail, never mix).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from tortoise import connections

_PLACEHOLDER = re.compile(r"IN \?|\?")


def render(pg: bool, sql: str, args: Sequence[Any]) -> tuple[str, list[Any]]:
    values = list(args)
    out: list[Any] = []
    n = 0

    def sub(match: re.Match[str]) -> str:
        nonlocal n
        value = values[n]
        n += 1
        if match.group(0) == "IN ?":
            items = list(value)
            if pg:
                out.append(items)
                return f"= ANY(${len(out)})"
            out.extend(items)
            return "IN (" + ", ".join("?" * len(items)) + ")"
        out.append(value)
        return f"${len(out)}" if pg else "?"

    text = _PLACEHOLDER.sub(sub, sql)
    if n != len(values):
        raise ValueError(f"{len(values)} arguments for {n} placeholders")
    return text, out


class Writer:
    pg: bool = False

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def execute(self, sql: str, *args: Any) -> None:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    async def next_ids(self, table: str, count: int) -> list[int]:
        raise NotImplementedError

    async def insert(self, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]],
                     conflict: Sequence[str] | None = None) -> int:
        """Insert rows (ids included); with `conflict`, rows clashing on those columns are left out.
        Returns how many were inserted."""
        raise NotImplementedError

    def transaction(self) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def after_batch(self, batches: int) -> None:
        """Called after each committed batch."""


class SqliteWriter(Writer):
    def __init__(self) -> None:
        self._conn: Any = connections.get("default")

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        text, values = render(False, sql, args)
        _, rows = await self._conn.execute_query(text, values)
        return [tuple(r) for r in rows]

    async def execute(self, sql: str, *args: Any) -> None:
        text, values = render(False, sql, args)
        await self._conn.execute_query(text, values)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._conn.execute_many(sql, [list(r) for r in rows])

    async def next_ids(self, table: str, count: int) -> list[int]:
        top = (await self.fetch(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))[0][0]  # noqa: S608
        seq = await self.fetch("SELECT seq FROM sqlite_sequence WHERE name = ?", table)
        start = max(int(top), int(seq[0][0]) if seq else 0) + 1
        return list(range(start, start + count))

    async def insert(self, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]],
                     conflict: Sequence[str] | None = None) -> int:
        if not records:
            return 0
        before = (await self.fetch("SELECT total_changes()"))[0][0]
        verb = "INSERT OR IGNORE" if conflict else "INSERT"
        marks = ", ".join("?" * len(columns))
        await self.executemany(f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})", records)
        after = (await self.fetch("SELECT total_changes()"))[0][0]
        return int(after) - int(before)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        from tortoise.transactions import in_transaction

        outer = self._conn
        async with in_transaction() as conn:
            self._conn = conn
            try:
                yield
            finally:
                self._conn = outer


class PostgresWriter(Writer):
    pg = True

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._staging: set[str] = set()
        self._written: set[str] = set()

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        text, values = render(True, sql, args)
        return [tuple(r) for r in await self._conn.fetch(text, *values)]

    async def execute(self, sql: str, *args: Any) -> None:
        text, values = render(True, sql, args)
        await self._conn.execute(text, *values)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            text, _ = render(True, sql, [None] * sql.count("?"))
            await self._conn.executemany(text, rows)

    async def next_ids(self, table: str, count: int) -> list[int]:
        if not count:
            return []
        rows = await self._conn.fetch(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)", table, count)
        return [int(r[0]) for r in rows]

    async def insert(self, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]],
                     conflict: Sequence[str] | None = None) -> int:
        if not records:
            return 0
        self._written.add(table)
        staging = f"imp_{table}"
        if staging not in self._staging:
            await self._conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table}) "
                                     "ON COMMIT DELETE ROWS")
            self._staging.add(staging)
        else:
            await self._conn.execute(f"TRUNCATE {staging}")
        await self._conn.copy_records_to_table(staging, records=records, columns=list(columns))
        cols = ", ".join(columns)
        tail = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING" if conflict else ""
        status = await self._conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging}{tail}")  # noqa: S608
        return int(status.rsplit(" ", 1)[-1])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._conn.transaction():
            yield

    async def after_batch(self, batches: int) -> None:
        # Tables that grew from (nearly) empty have stale statistics until autovacuum comes by: the
        # planner then reads the whole tenant through the tenant_id index for each key look-up
        # (measured: 30,000 orders took 12 s instead of 2). Analyse after batches 1, 4, 16, 64...
        if batches & (batches - 1) == 0 and batches.bit_length() % 2 == 1:
            for table in sorted(self._written):
                await self._conn.execute(f"ANALYZE {table}")


@asynccontextmanager
async def open_writer() -> AsyncIterator[Writer]:
    client: Any = connections.get("default")
    if client.capabilities.dialect == "postgres":
        async with client.acquire_connection() as conn:
            yield PostgresWriter(conn)
    else:
        yield SqliteWriter()


CUSTOMERS_BY_EMAIL = (
    "SELECT ct.value_hash, MIN(ct.customer_id) FROM crm_contact ct JOIN crm_customer c ON c.id = ct.customer_id "
    "WHERE ct.tenant_id = ? AND ct.kind = 'email' AND c.merged_into_id IS NULL AND ct.value_hash IN ? "
    "GROUP BY ct.value_hash")


async def customers_by_email(w: Writer, tenant_id: int, hashes: Sequence[str]) -> dict[str, int]:
    """The tenant's customer for each e-mail blind index (the oldest one when several share it;
    customers merged into another never match: their target does)."""
    if not hashes:
        return {}
    return {str(h): int(c) for h, c in await w.fetch(CUSTOMERS_BY_EMAIL, tenant_id, list(hashes))}
