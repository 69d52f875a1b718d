"""GraphQL subscriptions over a real websocket (uvicorn on a local port, graphql-transport-ws):
credentials in connection_init, clean errors, and the same limits as HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from core.identity import add_user
from tests.conftest import PASSWORD, Api, TenantFixture
from tests.fixtures.live_server import graphql_ws, serve

SUBSCRIPTION = "subscription { ticketUpdated { kind ticket { id } } }"


@pytest.fixture(scope="module")
async def address(app: Any) -> AsyncIterator[str]:
    async with serve(app) as served:
        yield served


async def test_a_valid_token_in_connection_init_is_acknowledged(address: str, tenant: TenantFixture) -> None:
    async with graphql_ws(address) as ws:
        assert await ws.init({"authorization": f"Bearer {tenant.token}"}) == {"type": "connection_ack"}


@pytest.mark.parametrize("credentials", ["Bearer not-a-token", "Basic abc", 42, "Bearer sk_live_nope"])
async def test_bad_credentials_refuse_the_connection(address: str, credentials: Any) -> None:
    async with graphql_ws(address) as ws:
        await ws.send({"type": "connection_init", "payload": {"authorization": credentials}})
        with pytest.raises(ConnectionClosed) as closed:
            await ws.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_without_credentials_a_subscription_errors_cleanly(address: str) -> None:
    async with graphql_ws(address, lang="es") as ws:
        assert (await ws.init())["type"] == "connection_ack"
        await ws.subscribe("1", SUBSCRIPTION)
        message = await ws.receive()
    assert message["id"] == "1" and message["type"] in ("next", "error")
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Traceback" not in str(message) and errors[0]["message"] != "Log in to do this."  # translated


async def test_without_the_permission_a_subscription_is_forbidden(
        address: str, api: Api, tenant: TenantFixture) -> None:
    email = f"noroles@{tenant.slug}.test"
    await add_user(tenant.id, email, "No roles", PASSWORD)
    token = await api.login(email, tenant.slug)
    async with graphql_ws(address) as ws:
        await ws.init({"authorization": f"Bearer {token}"})
        await ws.subscribe("1", SUBSCRIPTION)
        message = await ws.receive()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert "aftersales.ticket:read" in errors[0]["message"]


async def test_subscriptions_have_the_same_limits_as_http(address: str, tenant: TenantFixture, rt: Any) -> None:
    """The validation rules (depth, aliases, cost) and the token limit are the schema's, whatever
    the transport: an over-limit subscription is refused before it runs."""
    too_many_aliases = ("subscription { ticketUpdated { "
                        + " ".join(f"a{i}: kind" for i in range(rt.settings.max_aliases + 1)) + " } }")
    async with graphql_ws(address) as ws:
        await ws.init({"authorization": f"Bearer {tenant.token}"})
        await ws.subscribe("aliases", too_many_aliases)
        aliases = await ws.receive()
        await ws.subscribe("ok", SUBSCRIPTION)  # the connection still serves valid subscriptions
        assert await ws.nothing_within(0.3)
    assert aliases["type"] == "error" and aliases["id"] == "aliases", aliases
    assert "aliases" in aliases["payload"][0]["message"]


@pytest.mark.parametrize("query", ["subscription { ticketUpdated { kind ", "TOKENS"])
async def test_unparsable_subscriptions_close_the_socket_as_the_protocol_says(
        address: str, tenant: TenantFixture, rt: Any, query: str) -> None:
    """graphql-transport-ws: a document that does not parse (bad syntax, over the token limit)
    closes the socket with 4400 and the reason, rather than killing the operation in silence."""
    if query == "TOKENS":
        query = "subscription { ticketUpdated { " + "kind " * rt.settings.max_tokens + "} }"
    async with graphql_ws(address) as ws:
        await ws.init({"authorization": f"Bearer {tenant.token}"})
        await ws.subscribe("1", query)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    assert "Syntax Error" in closed.value.rcvd.reason


@pytest.mark.parametrize(("lang", "expected"), [("zh-CN", "查询开销过大"), ("es", "La consulta es demasiado costosa")])
async def test_limit_errors_are_translated_over_websockets_as_over_http(
        address: str, api: Api, tenant: TenantFixture, lang: str, expected: str) -> None:
    """The cost rule's error, in the language of the websocket's handshake, word for word what
    HTTP answers in that language."""
    query = "subscription { ticketUpdated { ticket { messages(first: 5000) { edges { node { id } } } } } }"
    async with graphql_ws(address, lang=lang) as ws:
        await ws.init({"authorization": f"Bearer {tenant.token}"})
        await ws.subscribe("costly", query)
        refused = await ws.receive()
    assert refused["type"] == "error" and refused["id"] == "costly", refused
    (error,) = refused["payload"]
    assert error["extensions"]["code"] == "QUERY_TOO_EXPENSIVE" and error["message"].startswith(expected), error
    over_http = await api.post(query, token=tenant.token, lang=lang)
    assert over_http["errors"][0]["message"] == error["message"]
