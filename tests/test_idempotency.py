"""Idempotency-Key over HTTP: a retried mutation is answered from the first attempt and writes once;
the key and the mutation's writes commit together or not at all."""

from __future__ import annotations

import asyncio
import contextvars
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from core import after_commit, idempotency, pubsub
from core.access.admin import assign_role_by_name, create_role, set_grant
from core.auth.api_keys import create_api_key
from core.auth.principal import Principal
from core.identity import add_user
from core.models import IdempotencyKey
from core.sql import fetch
from core.tenancy import scoped
from modules.crm.models import Customer
from modules.crm.services import customers
from tests.conftest import BACKEND, Api, TenantFixture
from workers.settings import PURGE_IDEMPOTENCY_KEYS, compose

CREATE = """mutation Create($i: CustomerInput!) {
  createCustomer(input: $i) { customer { id firstName } errors { code field } } }"""
TWO = """mutation Two($a: CustomerInput!, $b: CustomerInput!) {
  a: createCustomer(input: $a) { customer { id } errors { code } }
  b: createCustomer(input: $b) { customer { id } errors { code } } }"""


async def send(api: Api, query: str, variables: dict[str, Any] | None = None, *, token: str | None,
               key: str | bytes | None = None, headers: list[tuple[str, str | bytes]] | None = None
               ) -> httpx.Response:
    sent: list[tuple[str, str | bytes]] = list(headers or [])
    if token:
        sent.append(("Authorization", f"Bearer {token}"))
    if key is not None:
        sent.append(("Idempotency-Key", key))
    response = await api.client.post("/graphql", json={"query": query, "variables": variables}, headers=sent)
    assert response.status_code == 200, response.text
    return response


def customer(name: str) -> dict[str, Any]:
    return {"i": {"firstName": name}}


async def count(tenant: TenantFixture, name: str) -> int:
    return await scoped(Customer, tenant.id).filter(first_name=name).count()


async def keys(tenant: TenantFixture, key: str) -> int:
    return await scoped(IdempotencyKey, tenant.id).filter(key=key).count()


def code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_a_retry_is_answered_from_the_first_attempt_and_writes_once(api: Api, tenant: TenantFixture) -> None:
    name, key = f"Once {uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    first = await send(api, CREATE, customer(name), token=tenant.token, key=key)
    assert first.json()["data"]["createCustomer"]["customer"]["firstName"] == name
    assert "idempotent-replayed" not in first.headers
    again = await send(api, CREATE, customer(name), token=tenant.token, key=key)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await count(tenant, name) == 1 and await keys(tenant, key) == 1
    row = await scoped(IdempotencyKey, tenant.id).get(key=key)
    assert row.principal == f"user:{tenant.admin_id}" and len(row.fingerprint) == 64
    raw = await fetch("SELECT response FROM core_idempotency_key WHERE id = {p[0]}", [row.id])
    assert name not in raw[0]["response"]  # encrypted at rest, like contact data


async def test_a_response_with_payload_errors_is_kept_too(api: Api, tenant: TenantFixture) -> None:
    key = uuid.uuid4().hex
    variables = {"i": {"firstName": "Bad mail", "emails": ["not an address"]}}
    first = await send(api, CREATE, variables, token=tenant.token, key=key)
    assert first.json()["data"]["createCustomer"]["errors"][0]["code"]
    again = await send(api, CREATE, variables, token=tenant.token, key=key)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()


async def test_the_key_of_another_request_is_refused_and_nothing_runs(api: Api, tenant: TenantFixture) -> None:
    key, name = uuid.uuid4().hex, f"Other {uuid.uuid4().hex[:8]}"
    await send(api, CREATE, customer("First request"), token=tenant.token, key=key)
    reused = await send(api, CREATE, customer(name), token=tenant.token, key=key, headers=[("Accept-Language", "de")])
    assert code(reused) == "IDEMPOTENCY_KEY_REUSED" and reused.json()["data"] is None
    assert "bereits für eine andere Anfrage" in reused.json()["errors"][0]["message"]  # in the caller's language
    assert "idempotent-replayed" not in reused.headers
    assert await count(tenant, name) == 0


async def test_keys_are_per_caller(api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    key = uuid.uuid4().hex
    email = f"second-{uuid.uuid4().hex[:8]}@{tenant.slug}.test"
    second = await add_user(tenant.id, email, "Second", "correct horse battery")
    await assign_role_by_name(tenant.id, second.id, "admin")
    rt.access.invalidate(tenant.id)
    _, api_key = await create_api_key(tenant.id, tenant.admin_id, "script")
    callers = [tenant.token, await api.login(email, tenant.slug), api_key, other_tenant.token]
    names = [f"Caller {i} {uuid.uuid4().hex[:6]}" for i in range(len(callers))]
    for token, name in zip(callers, names, strict=True):
        response = await send(api, CREATE, customer(name), token=token, key=key)
        assert "idempotent-replayed" not in response.headers
        assert response.json()["data"]["createCustomer"]["customer"]["firstName"] == name
    assert [await count(tenant, n) for n in names] == [1, 1, 1, 0]
    assert await count(other_tenant, names[3]) == 1


async def test_the_same_key_at_the_same_time_runs_once(api: Api, tenant: TenantFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    original = customers.create_customer

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.3)  # the second request arrives while the first is running
        return await original(*args, **kwargs)

    monkeypatch.setattr(customers, "create_customer", slow)
    key, name = uuid.uuid4().hex, f"Concurrent {uuid.uuid4().hex[:8]}"
    first, second = await asyncio.gather(
        send(api, CREATE, customer(name), token=tenant.token, key=key),
        send(api, CREATE, customer(name), token=tenant.token, key=key))
    # Either request may take the key first: the other is the one refused or replayed.
    ran, other = (first, second) if "idempotent-replayed" not in first.headers and not first.json().get(
        "errors") else (second, first)
    assert ran.json()["data"]["createCustomer"]["customer"]["firstName"] == name, (first.json(), second.json())
    if BACKEND == "postgres":  # the advisory lock answers at once
        assert other.json()["errors"][0]["extensions"] == {"code": "IDEMPOTENCY_IN_PROGRESS", "retryable": True}
    else:  # SQLite's one connection: the second waits for the first's commit, then replays it
        assert other.headers["idempotent-replayed"] == "true" and other.json() == ran.json()
    assert await count(tenant, name) == 1


async def test_a_mutation_that_fails_stores_nothing_and_rolls_its_writes_back(
        api: Api, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    original = customers.create_customer

    async def outage_on_b(actor: Any, data: Any) -> Any:
        if data.first_name.startswith("B "):
            raise ConnectionError("the database went away")
        return await original(actor, data)

    monkeypatch.setattr(customers, "create_customer", outage_on_b)
    key, suffix = uuid.uuid4().hex, uuid.uuid4().hex[:8]
    variables = {"a": {"firstName": f"A {suffix}"}, "b": {"firstName": f"B {suffix}"}}
    failed = (await send(api, TWO, variables, token=tenant.token, key=key)).json()
    assert failed["data"] is None
    assert failed["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryable": True}
    # `a` ran, and its own transaction committed into the outer one: rolled back with the key.
    assert await count(tenant, f"A {suffix}") == 0 and await keys(tenant, key) == 0
    monkeypatch.setattr(customers, "create_customer", original)
    retried = await send(api, TWO, variables, token=tenant.token, key=key)
    assert "idempotent-replayed" not in retried.headers and not retried.json().get("errors")
    assert await count(tenant, f"A {suffix}") == 1 and await count(tenant, f"B {suffix}") == 1


async def test_an_internal_error_stores_nothing(api: Api, tenant: TenantFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    original = customers.create_customer

    async def bug(*args: Any, **kwargs: Any) -> Any:
        await original(*args, **kwargs)
        raise RuntimeError("a bug after the write")

    monkeypatch.setattr(customers, "create_customer", bug)
    key, name = uuid.uuid4().hex, f"Bug {uuid.uuid4().hex[:8]}"
    failed = (await send(api, CREATE, customer(name), token=tenant.token, key=key)).json()
    assert failed["data"] is None and failed["errors"][0]["message"] == "Internal error."
    assert await count(tenant, name) == 0 and await keys(tenant, key) == 0
    monkeypatch.setattr(customers, "create_customer", original)

    async def store_fails(*args: Any) -> None:
        raise RuntimeError("the response could not be written")

    monkeypatch.setattr(idempotency, "store", store_fails)  # the mutation ran; its response cannot be kept
    failed = (await send(api, CREATE, customer(name), token=tenant.token, key=key)).json()
    assert failed == {"data": None, "errors": [{"message": "Internal error."}]}
    assert await count(tenant, name) == 0 and await keys(tenant, key) == 0


@pytest.mark.skipif(BACKEND != "postgres", reason="cuts a PostgreSQL session")
async def test_a_session_cut_before_the_commit_leaves_neither_key_nor_writes(
        api: Api, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """As when the API process is killed (-9) or the database restarts mid-mutation: the server
    ends the transaction's session, and PostgreSQL rolls back whatever it held."""
    original = customers.create_customer

    async def then_cut(*args: Any, **kwargs: Any) -> Any:
        created = await original(*args, **kwargs)
        await fetch("SELECT pg_terminate_backend(pg_backend_pid())", [])
        return created

    monkeypatch.setattr(customers, "create_customer", then_cut)
    key, name = uuid.uuid4().hex, f"Cut {uuid.uuid4().hex[:8]}"
    failed = await send(api, CREATE, customer(name), token=tenant.token, key=key)
    assert failed.json()["data"] is None and code(failed) == "SERVICE_UNAVAILABLE"
    assert await count(tenant, name) == 0 and await keys(tenant, key) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9".encode(), b"tab\there"])
async def test_an_invalid_key_is_refused_and_nothing_runs(api: Api, tenant: TenantFixture, key: str | bytes) -> None:
    name = f"Invalid {uuid.uuid4().hex[:8]}"
    response = await send(api, CREATE, customer(name), token=tenant.token, key=key)
    assert code(response) == "INVALID_IDEMPOTENCY_KEY" and response.json()["data"] is None
    assert await count(tenant, name) == 0


async def test_a_key_twice_or_without_credentials_is_refused_and_a_query_ignores_it(
        api: Api, tenant: TenantFixture) -> None:
    twice = await send(api, CREATE, customer("Twice"), token=tenant.token, key="a",
                       headers=[("Idempotency-Key", "b")])
    assert code(twice) == "INVALID_IDEMPOTENCY_KEY"
    anonymous = await send(api, CREATE, customer("Anonymous"), token=None, key=uuid.uuid4().hex)
    assert code(anonymous) == "UNAUTHENTICATED"
    query = await send(api, "{ viewer { user { email } } }", token=tenant.token, key="x" * 300)
    assert query.json()["data"]["viewer"]["user"]["email"] == tenant.admin_email
    assert "idempotent-replayed" not in query.headers


async def test_keys_expire_after_a_day_and_the_cron_job_purges_them(api: Api, tenant: TenantFixture) -> None:
    key, name = uuid.uuid4().hex, f"Aged {uuid.uuid4().hex[:8]}"
    await send(api, CREATE, customer(name), token=tenant.token, key=key)
    await scoped(IdempotencyKey, tenant.id).filter(key=key).update(
        created_at=datetime.now(UTC) - idempotency.TTL - timedelta(minutes=1))
    again = await send(api, CREATE, customer(name), token=tenant.token, key=key)  # expired: runs again
    assert "idempotent-replayed" not in again.headers and await count(tenant, name) == 2
    await scoped(IdempotencyKey, tenant.id).filter(key=key).update(
        created_at=datetime.now(UTC) - idempotency.TTL - timedelta(minutes=1))
    assert await idempotency.purge() >= 1 and await keys(tenant, key) == 0
    assert any(job.name == PURGE_IDEMPOTENCY_KEYS for job in compose([]).cron_jobs)


async def test_live_updates_wait_for_the_outer_commit(rt: Any, tenant: TenantFixture) -> None:
    async with rt.live.subscribe(tenant.id, "test.idempotency") as listener:
        with after_commit.deferring() as queue:
            assert await pubsub.publish(tenant.id, "test.idempotency", {"id": 1})
        assert len(queue.effects) == 1  # held back until the commit
        await after_commit.run(queue)
        assert await asyncio.wait_for(listener.__anext__(), 5) == {"id": 1}
        with after_commit.deferring():
            await pubsub.publish(tenant.id, "test.idempotency", {"id": 2})
        assert not after_commit.pending()  # a rollback drops the queue: nothing is sent


async def test_an_upload_is_fingerprinted_by_its_files_content(api: Api, tenant: TenantFixture) -> None:
    key = uuid.uuid4().hex
    query = """mutation($i: ImportFileInput!) { importCustomers(input: $i) { job { id } errors { code } } }"""

    async def upload(content: bytes) -> httpx.Response:
        operations = {"query": query, "variables": {"i": {"file": None, "dryRun": True}}}
        return await api.client.post(
            "/graphql", headers={"Authorization": f"Bearer {tenant.token}", "Idempotency-Key": key},
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
            files={"0": ("customers.csv", content, "text/csv")})

    first = await upload(b"email\nkim@example.kr\n")
    assert first.json()["data"]["importCustomers"]["job"]["id"]
    again = await upload(b"email\nkim@example.kr\n")  # another multipart boundary, the same file
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert code(await upload(b"email\nlee@example.kr\n")) == "IDEMPOTENCY_KEY_REUSED"


async def test_a_policy_load_inside_a_transaction_reads_through_it_and_is_not_kept(
        rt: Any, tenant: TenantFixture) -> None:
    """An idempotent mutation's permission checks run in its transaction. A load begun outside (another
    request's, which on SQLite waits for this transaction's connection) is not awaited, and what was read
    in the transaction is not cached (it could roll back)."""
    rt.access.invalidate(tenant.id)
    async with in_transaction():
        await fetch("SELECT 1", [])  # SQLite: this transaction now holds the database's one connection
        outside = asyncio.create_task(rt.access.permissions(tenant.admin_id, tenant.id), context=contextvars.Context())
        await asyncio.sleep(0)
        loads = rt.access.loads
        inside = await asyncio.wait_for(rt.access.permissions(tenant.admin_id, tenant.id), 5)
        assert ("crm.customer", "write") in inside and rt.access.loads == loads + 1
    assert await asyncio.wait_for(outside, 5) == inside


async def test_a_refusal_is_kept_only_when_the_answer_shows_what_committed(api: Api, rt: Any,
                                                                          tenant: TenantFixture) -> None:
    actor = Principal(tenant.admin_id, tenant.id)
    role = await create_role(rt, actor, f"writer-{uuid.uuid4().hex[:8]}")
    for permission in ("crm.customer:read", "crm.customer:write"):  # no aftersales.ticket:read, no crm.channel
        await set_grant(rt, actor, role.id, permission, True)
    email = f"writer-{uuid.uuid4().hex[:8]}@{tenant.slug}.test"
    writer = await add_user(tenant.id, email, "Writer", "correct horse battery")
    await assign_role_by_name(tenant.id, writer.id, role.name)
    rt.access.invalidate(tenant.id)
    token = await api.login(email, tenant.slug)
    nested = """mutation($i: CustomerInput!) { createCustomer(input: $i) {
      customer { firstName tickets(first: 1) { edges { node { id } } } } errors { code } } }"""
    key, name = uuid.uuid4().hex, f"Nested {uuid.uuid4().hex[:8]}"
    first = await send(api, nested, customer(name), token=token, key=key)
    assert first.json()["data"]["createCustomer"]["customer"] == {"firstName": name, "tickets": None}
    assert code(first) == "FORBIDDEN"  # at customer.tickets: the customer was created all the same
    again = await send(api, nested, customer(name), token=token, key=key)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert await count(tenant, name) == 1
    channel = 'mutation { createSalesChannel(input: {platform: SHOPIFY, name: "Shop"}) { errors { code } } }'
    refused = await send(api, channel, token=token, key=(key := uuid.uuid4().hex))
    assert refused.json()["data"] is None and code(refused) == "FORBIDDEN"
    assert await keys(tenant, key) == 0  # not kept: once granted, a retry with this key runs
