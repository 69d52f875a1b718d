"""Test set-up: a fresh database per run, the real app over HTTP (httpx ASGI transport).

SELLERCARE_TEST_DB=sqlite (default: embedded mode, fakeredis) or postgres (PostgreSQL and the
real Redis, as in production). A service that is needed and down fails the run loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager

from core import events, lifecycle
from core.access.admin import assign_role_by_name
from core.identity import add_user, create_tenant
from core.models import Job
from core.registry import Registry
from core.settings import Settings
from schema.app import create_app
from tests.fixtures.dovecot import INSTALL_HINT, Dovecot
from tests.fixtures.dovecot import binary as dovecot_binary

BACKEND = os.environ.get("SELLERCARE_TEST_DB", "sqlite")
PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
PASSWORD = "correct horse battery"


def pg_url(name: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"


async def require_services() -> None:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        await conn.close()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_DSN}: {exc}", pytrace=False)
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}", pytrace=False)
    finally:
        await client.aclose()


async def create_pg_database(name: str, template: str | None = None) -> str:
    """A new, empty database (or a copy of `template`); its URL."""
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    return pg_url(name)


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def settings(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    var = tmp_path_factory.mktemp("var")
    env = {"SELLERCARE_ENV": "test", "SECRET_KEY": "t" * 48, "SELLERCARE_VAR_DIR": str(var)}
    name = f"sellercare_test_{os.getpid()}"
    await require_services()
    if BACKEND == "postgres":
        env["DATABASE_URL"] = await create_pg_database(name)
        env["REDIS_URL"] = REDIS_URL
        flush = aioredis.from_url(REDIS_URL)
        await flush.flushdb()
        await flush.aclose()
    else:
        env["DATABASE_URL"] = f"sqlite://{Path(var) / 'test.sqlite3'}"
    s = Settings.from_env(env)
    await lifecycle.migrate_all(s, Registry.discover())
    yield s
    if BACKEND == "postgres":
        await drop_pg_database(name)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60):
        yield application


@pytest.fixture(scope="session")
async def rt(app: Any) -> Any:
    return app.state.rt


class GraphQLError(AssertionError):
    pass


@dataclass
class Api:
    client: httpx.AsyncClient

    async def post(self, query: str, variables: dict[str, Any] | None = None, *,
                   token: str | None = None, lang: str | None = None) -> dict[str, Any]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if lang:
            headers["Accept-Language"] = lang
        response = await self.client.post("/graphql", json={"query": query, "variables": variables},
                                          headers=headers)
        assert response.status_code in (200, 400), response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The `data` of a request that must not fail."""
        body = await self.post(query, variables, **kw)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        return body["data"]

    async def login(self, email: str, tenant: str | None = None,
                    password: str = PASSWORD) -> str:
        data = await self.data(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }",
            {"i": {"email": email, "password": password, "tenant": tenant}})
        assert data["login"]["errors"] == [], data
        return data["login"]["accessToken"]


@pytest.fixture(scope="session")
async def api(app: Any) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client)


@dataclass
class TenantFixture:
    id: int
    slug: str
    admin_email: str
    admin_id: int
    token: str


async def make_tenant(api: Api, rt: Any, role: str = "admin") -> TenantFixture:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    tenant = await create_tenant(slug, f"Tenant {slug}")
    email = f"admin@{slug}.test"
    user = await add_user(tenant.id, email, "Admin", PASSWORD)
    await assign_role_by_name(tenant.id, user.id, role)
    rt.access.invalidate(tenant.id)
    token = await api.login(email, slug)
    return TenantFixture(tenant.id, slug, email, user.id, token)


@pytest.fixture
async def tenant(api: Api, rt: Any) -> TenantFixture:
    return await make_tenant(api, rt)


@pytest.fixture
async def other_tenant(api: Api, rt: Any) -> TenantFixture:
    return await make_tenant(api, rt)


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> Any:
    """events.relay (to call when a test wants), with the embedded worker's own relay cron paused (it looks the function up at
    each run): what these tests send, and when, is theirs alone."""
    original = events.relay

    async def paused(*_: Any, **__: Any) -> int:
        return 0

    monkeypatch.setattr(events, "relay", paused)
    return original


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    asyncio.set_event_loop_policy(None)


INVITE = """mutation($i: InviteUserInput!) { inviteUser(input: $i) {
  invitation { id email name status } token acceptUrl errors { code field } } }"""
ACCEPT = """mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) {
  accessToken refreshToken errors { code field } } }"""


async def invite(api: Api, inviter: TenantFixture, email: str, name: str = "",
                 role_ids: list[str] | None = None) -> dict[str, Any]:
    """An invitation made over GraphQL by the tenant's admin; the payload."""
    data = await api.data(INVITE, {"i": {"email": email, "name": name, "roleIds": role_ids or []}},
                          token=inviter.token)
    return data["inviteUser"]


async def accept(api: Api, token: str, password: str = PASSWORD, name: str | None = None) -> dict[str, Any]:
    data = await api.data(ACCEPT, {"i": {"token": token, "password": password, "name": name}})
    return data["acceptInvitation"]


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A real IMAP server (tests/fixtures/dovecot.py) for the whole session; each test adds its users."""
    if dovecot_binary() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = Dovecot.start()
    yield server
    server.stop()


@contextlib.asynccontextmanager
async def services_held(app: Any) -> AsyncIterator[None]:
    """Embedded mode: the in-process worker's services (IMAP listeners) stopped meanwhile, so a test
    decides itself when a mailbox is read (on PostgreSQL no worker runs unless a test starts one)."""
    worker = app.state.worker
    if worker is None:
        yield
        return
    await worker.services.stop()
    try:
        yield
    finally:
        worker.services.start()


@contextlib.contextmanager
def jobs_held(app: Any) -> Iterator[None]:
    """Embedded mode: the in-process worker picks no job meanwhile (on PostgreSQL no worker runs
    unless a test starts one), so a test can do something to a queued job before it runs."""
    worker = app.state.worker.workers[0] if app.state.worker else None
    if worker is not None:
        worker.allow_pick_jobs = False
    try:
        yield
    finally:
        if worker is not None:
            worker.allow_pick_jobs = True


async def job_record(document: dict[str, Any], function: str, *, status: str = "running",
                     heartbeat_at: datetime | None = None, attempts: int = 1, args: list[Any] | None = None,
                     finished_at: datetime | None = None) -> Job:
    """A core.jobs record with a module's status document, queued nowhere (a job as a lost Redis or a
    killed worker leaves it)."""
    return await Job.create(id=document["id"], tenant_id=document["tenant_id"], function=function,
                            args=json.dumps(args or [document["id"]]), document=document, status=status,
                            attempts=attempts, heartbeat_at=heartbeat_at or datetime.now(UTC),
                            finished_at=finished_at)


def process_env(rt: Any, **extra: str) -> dict[str, str]:
    """The environment of a second process (a worker, a scan) on this suite's database and Redis,
    with this suite's keys, for tests that kill it."""
    root = Path(__file__).resolve().parents[1]
    return {**os.environ, "SELLERCARE_ENV": "test", "SECRET_KEY": rt.settings.secret_key,
            "SELLERCARE_VAR_DIR": str(rt.settings.var_dir), "DATABASE_URL": rt.settings.database_url,
            "REDIS_URL": rt.settings.redis_url or "", "PYTHONPATH": str(root), **extra}
