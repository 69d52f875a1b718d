"""What the API benchmarks share: figures (percentiles, timing, GC pauses), a fresh SQLite or
PostgreSQL database, the app started as tests/conftest.py starts it, and the login.

Imported by the scripts of this folder (`from common import ...`: a script's folder is first on
`sys.path`).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import gc
import logging
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from tortoise import connections

from core import lifecycle
from core.crypto import configure as configure_crypto
from core.db import close_db, init_db
from core.i18n import register_domain
from core.registry import Registry
from core.runtime import CORE_LOCALE, Runtime, installed_modules
from core.settings import Settings
from schema.app import create_app

PASSWORD = "correct horse battery"
PG_ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"
LOGIN = "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code message } } }"


# ---------------------------------------------------------------------------------------------
# Figures


@dataclass
class Series:
    name: str
    samples_ns: list[int]

    def pct(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.samples_ns)
        k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[k] / 1e6

    @property
    def mean(self) -> float:
        return sum(self.samples_ns) / len(self.samples_ns) / 1e6


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
    t0 = time.perf_counter_ns()
    result = await fn()
    return time.perf_counter_ns() - t0, result


class GcWatch:
    """Counts the garbage collector's full (generation 2) collections and their pauses."""

    def __init__(self) -> None:
        self.pauses_ns: list[int] = []
        self._start = 0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._start = time.perf_counter_ns()
        else:
            self.pauses_ns.append(time.perf_counter_ns() - self._start)

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        if not self.pauses_ns:
            return "no full GC"
        return (f"{len(self.pauses_ns)} full GCs, longest {max(self.pauses_ns) / 1e6:.0f} ms, "
                f"{sum(self.pauses_ns) / 1e6:.0f} ms in all")


def print_table(series: dict[str, Series], labels: dict[str, str], reference: str = "http") -> None:
    """p50, p99 and mean of each series, and the reference's p50 and p99 divided by each one's."""
    ref = series[reference]
    print("| measured | p50 | p99 | mean | HTTP / this (p50) | HTTP / this (p99) |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, s in series.items():
        print(f"| {labels[key]} | {s.pct(50):.2f} ms | {s.pct(99):.2f} ms | {s.mean:.2f} ms | "
              f"{ref.pct(50) / s.pct(50):.1f}x | {ref.pct(99) / s.pct(99):.1f}x |")


def print_header(name: str) -> None:
    print(f"# {name} benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"python {platform.python_version()}, strawberry {version('strawberry-graphql')}, "
          f"tortoise {version('tortoise-orm')}, starlette {version('starlette')}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")


def show_sql(on: bool) -> None:
    """Print (or stop printing) every statement tortoise runs."""
    log = logging.getLogger("tortoise.db_client")
    if on:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("  SQL> %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
    else:
        log.handlers.clear()
        log.setLevel(logging.WARNING)


def placeholders(pg: bool, count: int, start: int = 1) -> list[str]:
    """`?` for SQLite, `$n` for PostgreSQL (asyncpg)."""
    return [f"${i}" for i in range(start, start + count)] if pg else ["?"] * count


# ---------------------------------------------------------------------------------------------
# The SQL a request runs


@dataclass
class Statement:
    method: str
    query: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


_IN_BLOCK: contextvars.ContextVar[bool] = contextvars.ContextVar("in_block", default=False)


@contextlib.contextmanager
def recording() -> Iterator[list[Statement]]:
    """The statements run in the block, with their values (to replay them). Like
    tests/querycount.py it patches the client class, but it keeps only the statements of the block's
    task and the tasks it starts (the DataLoaders'): not those of the app's background tasks, such
    as the outbox relay polling core_outbox."""
    client_class = type(connections.get("default"))
    seen: list[Statement] = []
    names = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")
    originals = {name: getattr(client_class, name) for name in names}

    def wrap(name: str, orig: Any) -> Any:
        async def wrapper(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            if _IN_BLOCK.get():
                seen.append(Statement(name, query, args, kwargs))
            return await orig(self, query, *args, **kwargs)
        return wrapper

    for name, original in originals.items():
        setattr(client_class, name, wrap(name, original))
    token = _IN_BLOCK.set(True)
    try:
        yield seen
    finally:
        _IN_BLOCK.reset(token)
        for name, original in originals.items():
            setattr(client_class, name, original)


async def replay(statements: Sequence[Statement]) -> None:
    conn = connections.get("default")
    for s in statements:
        await getattr(conn, s.method)(s.query, *s.args, **s.kwargs)


def short(query: str) -> str:
    """A statement on one line, its long lists of placeholders shortened."""
    query = re.sub(r"(\?|\$\d+)(,\s*(\?|\$\d+)){3,}", r"\1, ...", " ".join(query.split()))
    return query if len(query) <= 150 else query[:147] + "..."


# ---------------------------------------------------------------------------------------------
# Set-up


@asynccontextmanager
async def environment(use_pg: bool) -> AsyncIterator[tuple[dict[str, str], str]]:
    """The app's environment over a fresh database: SQLite in a temporary folder, or a PostgreSQL
    database created here and dropped after (with Redis db 14, flushed)."""
    var = tempfile.mkdtemp(prefix="sellercare-bench-")
    env = {"SELLERCARE_ENV": "test", "SECRET_KEY": "b" * 48, "SELLERCARE_VAR_DIR": var}
    name = f"sellercare_bench_{os.getpid()}"
    try:
        if use_pg:
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()
            env["DATABASE_URL"] = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
            env["REDIS_URL"] = REDIS_URL
            client = aioredis.from_url(REDIS_URL)
            await client.flushdb()  # the benchmark's own db (14): no rate-limit keys left over
            await client.aclose()
        else:
            env["DATABASE_URL"] = f"sqlite://{Path(var) / 'bench.sqlite3'}"
        yield env, "postgres" if use_pg else "sqlite"
    finally:
        if use_pg:
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
        shutil.rmtree(var, ignore_errors=True)


async def open_database(env: dict[str, str]) -> Settings:
    """The database `env` names, migrated and open through tortoise with the installed modules, the
    cipher configured: what `sellercare import` sets up (scripts/cli.py), no app and no Redis.
    Close it with `core.db.close_db()`."""
    settings = Settings.from_env(env)
    await lifecycle.migrate_all(settings, Registry.discover())
    configure_crypto(settings)
    await init_db(settings.database_url, [])
    try:
        modules = await installed_modules(Registry.discover())
    finally:
        await close_db()
    await init_db(settings.database_url, modules)
    register_domain("core", CORE_LOCALE)
    for module in modules:
        register_domain(module.name, module.locale_dir)
    return settings


@dataclass
class Bench:
    """The running app, its runtime and an in-process HTTP client (no sockets)."""

    app: Any
    rt: Runtime
    dialect: str
    client: httpx.AsyncClient
    started: float  # time.perf_counter() before the migrations

    @property
    def pg(self) -> bool:
        return self.dialect == "postgres"

    @property
    def services(self) -> str:
        return "Redis db 14" if self.pg else "embedded, fakeredis"

    async def login(self, email: str, tenant: str, password: str = PASSWORD) -> dict[str, str]:
        """The `login` mutation; returns the bearer header."""
        response = await self.client.post("/graphql", json={"query": LOGIN, "variables": {
            "i": {"email": email, "password": password, "tenant": tenant}}})
        login = response.json()["data"]["login"]
        assert login["errors"] == [], login
        return {"Authorization": f"Bearer {login['accessToken']}"}

    async def graphql(self, query: str, headers: dict[str, str],
                      variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        resp = await self.client.post("/graphql", json=body, headers=headers)
        return dict(resp.json())


@asynccontextmanager
async def running_app(use_pg: bool) -> AsyncIterator[Bench]:
    """The app as tests/conftest.py builds it, over a fresh database (see `environment`)."""
    async with environment(use_pg) as (env, dialect), serve(env, dialect) as bench:
        yield bench


@asynccontextmanager
async def serve(env: dict[str, str], dialect: str, **overrides: Any) -> AsyncIterator[Bench]:
    """The app over the database `env` names: `migrate_all` (a database already up to date is left as
    it is), then `create_app(Settings.from_env(env))` under `LifespanManager`, served by
    `httpx.ASGITransport`. `overrides` replace settings that have no environment variable (max_cost)."""
    settings = dataclasses.replace(Settings.from_env(env), **overrides)
    started = time.perf_counter()
    await lifecycle.migrate_all(settings, Registry.discover())
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield Bench(app=app, rt=app.state.rt, dialect=dialect, client=client, started=started)
