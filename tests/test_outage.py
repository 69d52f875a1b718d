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


REPLY = """mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id } errors { code } } }"""


async def test_replies_written_under_load_through_an_outage_are_all_or_nothing(
        api: Api, settings: Any, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    """Eight clients keep writing replies while the database goes away for 4 seconds: every answer is
    a reply or a coded, retryable SERVICE_UNAVAILABLE, none slower than the connection timeout allows.
    Each request carries an Idempotency-Key, and a refused one is sent again after the outage, as
    docs/api.md tells clients to: then every reply exists exactly once with its outbox event, nothing
    else was written, every event owed is handled, and no connection is lost to the pool. (A COMMIT
    cut off by the outage may have committed with its answer lost: only the key tells the retry.)"""
    import asyncio
    import uuid

    from core import events
    from core.models import OutboxEvent
    from modules.aftersales.models import TicketMessage
    from tests.modules.test_aftersales_tickets import create, pk
    from workers.settings import compose

    ticket = pk((await create(api, tenant))["id"])
    before = await TicketMessage.filter(ticket_id=ticket).count()
    ok: dict[str, str] = {}  # idempotency key -> the reply's id
    unanswered: dict[str, dict[str, Any]] = {}
    refused: list[Any] = []
    slowest = 0.0
    stop = asyncio.Event()

    async def send(key: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await api.client.post("/graphql", json={"query": REPLY, "variables": variables}, headers={
            "Authorization": f"Bearer {tenant.token}", "Idempotency-Key": key})
        assert response.status_code in (200, 400), response.text
        return dict(response.json())

    async def client(n: int) -> None:
        nonlocal slowest
        i = 0
        while not stop.is_set():
            i += 1
            key, variables = uuid.uuid4().hex, {"i": {"ticketId": str(relay_id), "kind": "outbound",
                                                      "body": f"Reply {n}.{i}"}}
            body, took = await _timed(lambda k=key, v=variables: send(k, v))
            slowest = max(slowest, took)
            if body.get("errors"):
                refused.append(body["errors"][0].get("extensions", {}))
                unanswered[key] = variables
            else:
                assert body["data"]["addTicketMessage"]["errors"] == [], body
                ok[key] = body["data"]["addTicketMessage"]["message"]["id"]
            await asyncio.sleep(0.02)

    from strawberry import relay as gid
    relay_id = gid.GlobalID("Ticket", str(ticket))
    clients = [asyncio.create_task(client(n)) for n in range(8)]
    await asyncio.sleep(1)
    async with database_down(settings):
        await asyncio.sleep(4)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # until writes succeed again
        count = len(ok)
        await asyncio.sleep(1)
        if len(ok) > count + 3:
            break
    stop.set()
    await asyncio.gather(*clients)
    # Every connection went back to the pool: a transaction whose BEGIN met the outage used to keep
    # its connection for ever (core/db_patches.py), and shutdown then waited for it.
    from tortoise import connections

    pool = connections.get("default")._pool
    assert pool.get_idle_size() == pool.get_size(), (pool.get_idle_size(), pool.get_size())
    assert refused, "the outage refused nothing: it did not happen"
    assert all(e == {"code": "SERVICE_UNAVAILABLE", "retryable": True} for e in refused), refused[:5]
    assert slowest < 8, slowest
    for key, variables in unanswered.items():  # the clients' retries, with the same keys
        body = await send(key, variables)
        assert not body.get("errors"), body
        ok[key] = body["data"]["addTicketMessage"]["message"]["id"]
    messages = await TicketMessage.filter(ticket_id=ticket).count()
    assert messages - before == len(ok) == len(set(ok.values()))
    owed = await OutboxEvent.filter(tenant_id=tenant.id, topic="aftersales.reply_added",
                                    payload__contains={"ticket_id": ticket}).values_list("id", flat=True)
    assert len(owed) == len(ok)
    handlers = compose(rt.modules).event_handlers
    for event_id in owed:
        await events.dispatch(str(event_id), handlers)
    assert await OutboxEvent.filter(id__in=list(owed), handled_at__isnull=True).count() == 0
