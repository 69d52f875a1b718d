"""`ticketUpdated` over a real websocket: a tenant's inbox hears its own tickets change, never
another tenant's, through Redis pub/sub (fakeredis embedded, the real Redis in the postgres run)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from core import pubsub
from core.access.admin import assign_role_by_name
from core.auth.api_keys import create_api_key
from core.auth.principal import Principal
from core.auth.tokens import issue_access_token
from core.graphql.context import RECHECK_SECONDS
from core.graphql.node import to_global_id
from core.identity import add_user
from core.models import ApiKey
from core.redis import connect
from modules.aftersales.models import Ticket
from modules.aftersales.services import live
from modules.aftersales.services.tickets.messages import add_message
from modules.team.graphql.types import TeamType, UserType
from tests.conftest import PASSWORD, Api, TenantFixture
from tests.fixtures.live_server import GraphQLWS, graphql_ws, serve

SUBSCRIPTION = """subscription($f: TicketUpdatedFilter) {
  ticketUpdated(filter: $f) { kind ticket { id number subject status } } }"""


@pytest.fixture(scope="module")
async def address(app: Any) -> AsyncIterator[str]:
    async with serve(app) as served:
        yield served


async def new_ticket(tenant_id: int, subject: str = "Broken kettle", **fields: Any) -> Ticket:
    number = await Ticket.filter(tenant_id=tenant_id).count() + 1
    return await Ticket.create(tenant_id=tenant_id, number=number, subject=subject, **fields)


async def subscribers(rt: Any, tenant_id: int) -> int:
    ((_, count),) = await rt.redis.pubsub_numsub(pubsub.channel(tenant_id, live.TOPIC))
    return int(count)


async def wait_subscribed(rt: Any, tenant_id: int, count: int = 1) -> None:
    """The subscription reached Redis (a client has no other way to know it is listening), and
    this process has `count` listeners on the channel."""
    for _ in range(250):
        if await subscribers(rt, tenant_id) >= 1 and rt.live.listening(tenant_id, live.TOPIC) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the subscription never reached Redis")


@contextlib.asynccontextmanager
async def subscribed(address: str, rt: Any, tenant: TenantFixture, variables: dict[str, Any] | None = None,
                     *, token: str | None = None, lang: str | None = None, count: int = 1,
                     ) -> AsyncIterator[GraphQLWS]:
    async with graphql_ws(address, lang=lang) as ws:
        assert (await ws.init({"authorization": f"Bearer {token or tenant.token}"}))["type"] == "connection_ack"
        await ws.subscribe("inbox", SUBSCRIPTION, variables)
        await wait_subscribed(rt, tenant.id, count)
        yield ws


def update(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next" and message["id"] == "inbox", message
    assert "errors" not in message["payload"], message
    result: dict[str, Any] = message["payload"]["data"]["ticketUpdated"]
    return result


CREATE = """mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id number } errors { code } } }"""
STATUS = """mutation($i: ChangeTicketStatusInput!) { changeTicketStatus(input: $i) { errors { code } } }"""


async def test_a_subscriber_hears_its_tenants_tickets_change_through_the_api(
        address: str, api: Api, rt: Any, tenant: TenantFixture) -> None:
    async with subscribed(address, rt, tenant) as ws:
        created = (await api.data(CREATE, {"i": {"type": "inquiry", "channel": "email", "subject": "Broken kettle",
                                                 "body": "It leaks.", "language": "en"}},
                                  token=tenant.token))["createTicket"]
        assert created["errors"] == []
        got = update(await ws.receive())
        assert got["kind"] == "created"
        assert got["ticket"]["id"] == created["ticket"]["id"] and got["ticket"]["subject"] == "Broken kettle"
        changed = await api.data(STATUS, {"i": {"ticketId": created["ticket"]["id"], "status": "on_hold"}},
                                 token=tenant.token)
        assert changed["changeTicketStatus"]["errors"] == []
        got = update(await ws.receive())
        assert got["kind"] == "status_changed" and got["ticket"]["status"] == "on_hold"


async def test_the_subscriber_reads_the_ticket_as_it_is_now(address: str, rt: Any, tenant: TenantFixture) -> None:
    ticket = await new_ticket(tenant.id)
    async with subscribed(address, rt, tenant) as ws:
        await live.ticket_changed(ticket, "created")
        got = update(await ws.receive())
        assert got == {"kind": "created", "ticket": {"id": to_global_id_ticket(ticket), "number": ticket.number,
                                                     "subject": "Broken kettle", "status": "new"}}
        await Ticket.filter(id=ticket.id).update(status="open")
        await live.ticket_changed(ticket, "updated")  # the message says only which ticket and what kind
        assert update(await ws.receive())["ticket"]["status"] == "open"


def to_global_id_ticket(ticket: Ticket) -> str:
    from modules.aftersales.graphql.types import TicketType

    return str(to_global_id(TicketType, ticket.id))


async def test_another_tenants_changes_never_arrive(address: str, rt: Any, tenant: TenantFixture,
                                                    other_tenant: TenantFixture) -> None:
    mine, theirs = await new_ticket(tenant.id), await new_ticket(other_tenant.id, "Their secret")
    async with subscribed(address, rt, tenant) as ws:
        await live.ticket_changed(theirs, "updated")
        # Even a message on my tenant's channel naming their ticket is re-read in my scope: not found.
        await rt.redis.publish(pubsub.channel(tenant.id, live.TOPIC), json.dumps({"id": theirs.id, "kind": "x"}))
        assert await ws.nothing_within(0.5)
        await live.ticket_changed(mine, "updated")  # ordering: had theirs been sent, it came first
        assert update(await ws.receive())["ticket"]["subject"] == "Broken kettle"


async def test_a_change_published_by_another_process_arrives(address: str, rt: Any, tenant: TenantFixture) -> None:
    """Another API or worker process: its own Redis connection, publishing what ticket_changed does."""
    ticket = await new_ticket(tenant.id)
    other_process: Redis = connect(rt.settings)
    try:
        async with subscribed(address, rt, tenant) as ws:
            receivers = await pubsub.Hub(other_process).publish(tenant.id, live.TOPIC,
                                                                {"id": ticket.id, "kind": "assigned"})
            assert receivers == 1  # this process's one Redis subscription, however many sockets
            got = update(await ws.receive())
            assert got["kind"] == "assigned" and got["ticket"]["number"] == ticket.number
    finally:
        await other_process.aclose()


async def test_filters_select_by_the_state_after_the_change(address: str, rt: Any, tenant: TenantFixture) -> None:
    from modules.team.models import Team

    team = await Team.create(tenant_id=tenant.id, name="Returns")
    other = await new_ticket(tenant.id, "Not mine")
    mine = await new_ticket(tenant.id, "Mine", status="open", assignee_id=tenant.admin_id, team_id=team.id)
    f = {"assigneeId": to_global_id(UserType, tenant.admin_id), "teamId": to_global_id(TeamType, team.id),
         "status": "open"}
    async with subscribed(address, rt, tenant, {"f": f}) as ws:
        await live.ticket_changed(other, "updated")
        await live.ticket_changed(mine, "updated")
        assert update(await ws.receive())["ticket"]["subject"] == "Mine"


@pytest.mark.parametrize(("f", "code"), [({"status": "lost"}, "INVALID_FILTER"),
                                         ({"assigneeId": "VGVhbTox"}, "INVALID_ID"),
                                         ({"teamId": "nonsense"}, "INVALID_ID")])
async def test_a_bad_filter_is_a_clean_error(address: str, tenant: TenantFixture, f: dict[str, Any],
                                             code: str) -> None:
    async with graphql_ws(address, lang="zh-CN") as ws:
        await ws.init({"authorization": f"Bearer {tenant.token}"})
        await ws.subscribe("inbox", SUBSCRIPTION, {"f": f})
        message = await ws.receive()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == code, message
    assert "Traceback" not in str(message)
    if code == "INVALID_FILTER":  # in the language of the websocket's handshake
        assert errors[0]["message"] == "lost 不是工单状态。"


async def test_ending_the_subscription_leaves_the_redis_channel(address: str, rt: Any, tenant: TenantFixture) -> None:
    async with subscribed(address, rt, tenant) as ws:
        await ws.send({"id": "inbox", "type": "complete"})
        for _ in range(500):  # up to 10 s: a loaded machine takes seconds, not ms
            if await subscribers(rt, tenant.id) == 0:
                break
            await asyncio.sleep(0.02)
        assert await subscribers(rt, tenant.id) == 0


async def test_publishing_never_fails_the_change(tenant: TenantFixture) -> None:
    """Redis down: the ticket services' call after commit logs and returns."""
    ticket = await new_ticket(tenant.id)
    broken = pubsub.install(pubsub.Hub(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)))
    try:
        await live.ticket_changed(ticket, "updated")
    finally:
        pubsub.uninstall(broken)
        await broken.redis.aclose()


async def test_a_listener_that_falls_behind_is_ended(rt: Any) -> None:
    hub = pubsub.Hub(connect(rt.settings), queue_limit=2)
    try:
        async with hub.subscribe(999_999, "test.overflow") as listener:
            for i in range(5):
                await hub.publish(999_999, "test.overflow", {"i": i})
            for _ in range(100):
                if listener.overflowed:
                    break
                await asyncio.sleep(0.02)
            assert listener.overflowed
            assert [m async for m in listener] == []  # ended: its client resubscribes and re-reads
    finally:
        await hub.close()
        await hub.redis.aclose()


UPDATE = """mutation($i: UpdateTicketInput!) { updateTicket(input: $i) { errors { code } } }"""


async def test_a_ticket_leaving_a_filtered_view_is_removed_from_it(
        address: str, api: Api, rt: Any, tenant: TenantFixture) -> None:
    """Reassigned away from the watched assignee, or moved out of the watched status: the
    subscriber that showed it hears `removed` (with the ticket as it is now); one that never
    showed it hears nothing, and an unfiltered one hears the plain change."""
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    ticket = await new_ticket(tenant.id, status="open", assignee_id=tenant.admin_id)
    ticket_id = to_global_id_ticket(ticket)
    mine = {"f": {"assigneeId": to_global_id(UserType, tenant.admin_id)}}
    theirs = {"f": {"assigneeId": to_global_id(UserType, agent.id)}}
    async with subscribed(address, rt, tenant, mine) as ws_mine, \
            subscribed(address, rt, tenant, {"f": {"status": "open"}}, count=2) as ws_open, \
            subscribed(address, rt, tenant, {"f": {"status": "closed"}}, count=3) as ws_closed, \
            subscribed(address, rt, tenant, count=4) as ws_all:
        assert (await api.data(UPDATE, {"i": {"ticketId": ticket_id, "assigneeId": to_global_id(UserType, agent.id)}},
                               token=tenant.token))["updateTicket"]["errors"] == []
        got = update(await ws_mine.receive())
        assert got["kind"] == "removed" and got["ticket"]["id"] == ticket_id
        assert update(await ws_open.receive())["kind"] == "updated"  # still open: still in that view
        assert update(await ws_all.receive())["kind"] == "updated"

        assert (await api.data(STATUS, {"i": {"ticketId": ticket_id, "status": "on_hold"}},
                               token=tenant.token))["changeTicketStatus"]["errors"] == []
        got = update(await ws_open.receive())
        assert got == {"kind": "removed", "ticket": {"id": ticket_id, "number": ticket.number,
                                                     "subject": "Broken kettle", "status": "on_hold"}}
        assert update(await ws_all.receive())["kind"] == "status_changed"
        assert await ws_mine.nothing_within(0.3)  # no longer mine: its later changes are not mine either
        assert await ws_closed.nothing_within(0.1)  # never in the closed view: nothing to remove
    async with subscribed(address, rt, tenant, theirs) as ws_theirs:  # a view it entered: a plain change
        await api.data(STATUS, {"i": {"ticketId": ticket_id, "status": "open"}}, token=tenant.token)
        assert update(await ws_theirs.receive())["kind"] == "status_changed"


async def test_a_message_that_moves_a_ticket_removes_it_from_the_status_view(
        address: str, rt: Any, tenant: TenantFixture) -> None:
    """A reply opens a new ticket: the inbox of new tickets drops it (a service that changes the
    status as a side effect reports where the ticket was)."""
    ticket = await new_ticket(tenant.id)
    async with subscribed(address, rt, tenant, {"f": {"status": "new"}}) as ws:
        await add_message(Principal(tenant.admin_id, tenant.id), ticket.id, "outbound", "On its way.")
        got = update(await ws.receive())
        assert got["kind"] == "removed" and got["ticket"]["status"] == "open"


def ended(message: dict[str, Any]) -> dict[str, Any]:
    """The one error a subscription ends with (graphql-transport-ws: in a `next`, then `complete`)."""
    assert message["id"] == "inbox" and message["type"] == "next", message
    assert message["payload"]["data"] is None, message
    (error,) = message["payload"]["errors"]
    assert "Traceback" not in str(message)
    return dict(error)


async def assert_completed_and_left(ws: GraphQLWS, rt: Any, tenant_id: int, still: int = 0) -> None:
    """The subscription completed and its listener is gone (the channel too, when it was the last)."""
    assert await ws.receive() == {"id": "inbox", "type": "complete"}
    for _ in range(100):
        if rt.live.listening(tenant_id, live.TOPIC) == still:
            break
        await asyncio.sleep(0.02)
    assert rt.live.listening(tenant_id, live.TOPIC) == still
    if not still:
        for _ in range(100):
            if await subscribers(rt, tenant_id) == 0:
                break
            await asyncio.sleep(0.02)
        assert await subscribers(rt, tenant_id) == 0


async def test_an_expired_access_token_ends_the_subscription(address: str, rt: Any, tenant: TenantFixture) -> None:
    """The token was valid at connection_init; events after its expiry are not delivered."""
    token, _ = issue_access_token(replace(rt.settings, access_token_ttl=2), tenant.admin_id, tenant.id)
    ticket = await new_ticket(tenant.id)
    async with subscribed(address, rt, tenant, token=token, lang="es") as ws:
        await live.ticket_changed(ticket, "updated")
        assert update(await ws.receive())["kind"] == "updated"  # still valid
        await asyncio.sleep(2.1)
        await live.ticket_changed(ticket, "updated")
        error = ended(await ws.receive())
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["message"] == "Sus credenciales ya no son válidas: vuelva a iniciar sesión."
        await assert_completed_and_left(ws, rt, tenant.id)
        # The connection stays unauthenticated: a new subscription on it is refused at once.
        await ws.subscribe("again", SUBSCRIPTION)
        again = await ws.receive()
        errors = again["payload"]["errors"] if again["type"] == "next" else again["payload"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_deactivated_member_stops_receiving(address: str, api: Api, rt: Any, tenant: TenantFixture) -> None:
    """Deactivated while subscribed: its next event, after at most RECHECK_SECONDS, ends its
    subscription (in its language); the admin's subscription on the same tenant goes on."""
    email = f"agent@{tenant.slug}.test"
    agent = await add_user(tenant.id, email, "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, agent.id, "agent")
    rt.access.invalidate(tenant.id)
    token = await api.login(email, tenant.slug)
    ticket = await new_ticket(tenant.id)
    async with subscribed(address, rt, tenant, token=token, lang="zh-CN") as ws_agent, \
            subscribed(address, rt, tenant, count=2) as ws_admin:
        await live.ticket_changed(ticket, "updated")
        assert update(await ws_agent.receive())["kind"] == "updated"
        assert update(await ws_admin.receive())["kind"] == "updated"
        deactivate = """mutation($i: SetUserActiveInput!) { setUserActive(input: $i) { errors { code } } }"""
        assert (await api.data(deactivate, {"i": {"userId": to_global_id(UserType, agent.id), "active": False}},
                               token=tenant.token))["setUserActive"]["errors"] == []
        await asyncio.sleep(RECHECK_SECONDS + 0.1)  # the verdict of the last check has run out
        await live.ticket_changed(ticket, "updated")
        error = ended(await ws_agent.receive())
        assert error["extensions"]["code"] == "UNAUTHENTICATED" and error["message"] == "您的凭据已失效，请重新登录。"
        await assert_completed_and_left(ws_agent, rt, tenant.id, still=1)
        assert update(await ws_admin.receive())["kind"] == "updated"


async def test_a_revoked_api_key_stops_receiving(address: str, rt: Any, tenant: TenantFixture) -> None:
    key, secret = await create_api_key(tenant.id, tenant.admin_id, "inbox screen")
    ticket = await new_ticket(tenant.id)
    async with subscribed(address, rt, tenant, token=secret) as ws:
        await asyncio.sleep(RECHECK_SECONDS + 0.1)
        await live.ticket_changed(ticket, "updated")  # checked again, and still valid
        assert update(await ws.receive())["kind"] == "updated"
        await ApiKey.filter(id=key.id).update(revoked_at=datetime.now(UTC))
        await asyncio.sleep(RECHECK_SECONDS + 0.1)
        await live.ticket_changed(ticket, "updated")
        assert ended(await ws.receive())["extensions"]["code"] == "UNAUTHENTICATED"
