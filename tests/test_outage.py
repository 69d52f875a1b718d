"""A database outage, for real: the test database stops accepting connections and its sessions are
cut. Clients get coded, retryable errors within seconds (never a plain-text 500 or a hang), /health
tells the load balancer, and the same process serves again once the database is back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from tests.conftest import BACKEND, PG_ADMIN_DSN, Api, TenantFixture

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="a PostgreSQL outage: runs in the PostgreSQL suite")

VIEWER = "{ viewer { user { email } } }"
LOGIN = 'mutation { login(input: {email: "x@example.com", password: "whatever1"}) { accessToken errors { code } } }'


@asynccontextmanager
async def database_down(settings: Any) -> AsyncIterator[None]:
    name = settings.database_url.rsplit("/", 1)[1].split("?")[0]
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = await call()
    return result, time.monotonic() - started


async def test_an_outage_answers_coded_retryable_errors_and_health_says_so(
        api: Api, settings: Any, tenant: TenantFixture) -> None:
    assert (await api.client.get("/health")).json() == {"status": "ok", "database": "ok", "redis": "ok"}
    async with database_down(settings):
        viewer, took = await _timed(lambda: api.post(VIEWER, token=tenant.token))
        assert viewer["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", viewer
        assert took < 8
        login, took = await _timed(lambda: api.post(LOGIN))
        assert login["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryable": True}, login
        assert "Try again" in login["errors"][0]["message"] and took < 8
        health, took = await _timed(lambda: api.client.get("/health"))
        assert health.status_code == 503 and health.json()["database"] == "down" and took < 4
    deadline = time.monotonic() + 15
    while True:  # the pool opens new connections on demand
        back = await api.post(VIEWER, token=tenant.token)
        if not back.get("errors") or time.monotonic() > deadline:
            break
    assert back["data"]["viewer"]["user"]["email"] == tenant.admin_email, back
    assert (await api.client.get("/health")).status_code == 200
