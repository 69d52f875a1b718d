"""Scratch databases for scenarios that need a Tortoise of their own (in a subprocess), on SQLite
and PostgreSQL, read back here with the plain drivers; and the `STEP {json}` protocol the step
scripts under tests/fixtures/ print."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from tests.conftest import create_pg_database, drop_pg_database


@dataclass
class ScratchDatabase:
    """A fresh database for one scenario (SQL placeholders written `?`, for both backends)."""

    backend: str
    url: str
    work: Path

    async def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            with closing(sqlite3.connect(self.url.removeprefix("sqlite://"))) as conn:
                return [tuple(r) for r in conn.execute(sql, args).fetchall()]
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))
        conn = await asyncpg.connect(self.url)
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    async def execute(self, sql: str, *args: Any) -> None:
        if self.backend == "sqlite":
            with closing(sqlite3.connect(self.url.removeprefix("sqlite://"))) as conn:
                conn.execute(sql, args)
                conn.commit()
        else:
            await self.rows(sql, *args)


@asynccontextmanager
async def scratch_database(backend: str, work: Path, label: str) -> AsyncIterator[ScratchDatabase]:
    if backend == "sqlite":
        yield ScratchDatabase("sqlite", f"sqlite://{work / f'{label}.sqlite3'}", work)
        return
    name = f"sellercare_{label}_{os.getpid()}"
    url = await create_pg_database(name)
    try:
        yield ScratchDatabase("postgres", url, work)
    finally:
        await drop_pg_database(name)


def reported_steps(output: str) -> dict[str, Any]:
    """What each step reported, by step name, from a step script's `STEP {...}` lines."""
    facts: dict[str, Any] = {}
    for line in output.splitlines():
        if line.startswith("STEP "):
            fact = json.loads(line.removeprefix("STEP "))
            facts[fact.pop("step")] = fact
    return facts
