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


async def test_an_event_owed_before_an_outage_is_retried_by_arq_and_handled_after_it(
        api: Api, settings: Any, rt: Any, relay: Any) -> None:
    """The event was committed, then the database went away before its delivery ran: the delivery
    meets the outage and asks arq to try again within seconds (it cannot record a back-off in a
    database that is not there); once the database is back, the next try handles it, once."""
    from arq import Retry
    from tortoise.transactions import in_transaction

    from core import events
    from core.models import OutboxEvent
    from workers.settings import _dispatch_event

    ran: list[str] = []

    async def handler(event: OutboxEvent) -> None:
        ran.append(str(event.id))

    handlers = {"test.outage": [handler]}
    async with in_transaction():
        event = await events.emit("test.outage", {"n": 1})
    async with database_down(settings):
        with pytest.raises(Retry) as retry:
            await _dispatch_event({"job_try": 1, "event_handlers": handlers}, str(event.id))
        assert retry.value.defer_score == 5_000
    deadline = time.monotonic() + 15
    while True:  # the pool opens new connections on demand
        try:
            done = await _dispatch_event({"job_try": 2, "event_handlers": handlers}, str(event.id))
            break
        except Retry:
            assert time.monotonic() < deadline, "the database did not come back"
    assert done == [events.handler_name(handler)] and ran == [str(event.id)]
    assert (await OutboxEvent.get(id=event.id)).handled_at is not None
