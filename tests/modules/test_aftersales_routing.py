"""Routing over HTTP and through `routing.route`: rules pick the team, then an agent who is an
available, on-shift team member with the ticket's language, under capacity, by round-robin (a
cursor row in the database) or least-loaded; VIP customers go to their dedicated agent. Agents,
teams and skills are made through the team module's GraphQL mutations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from strawberry import relay

from core.graphql.node import to_global_id
from core.models import User
from modules.aftersales.models import AgentProfile, DedicatedAgent, RoundRobinCursor, RoutingRule, Ticket
from modules.aftersales.services.routing import assignment as routing
from modules.crm.graphql.types import CustomerType, OrderType
from modules.crm.models import Customer, Order
from modules.team.graphql.types import UserType
from tests.conftest import Api, TenantFixture, accept, invite

ROLES = "{ roles(first: 50) { edges { node { id name } } } }"
ASSIGN = "mutation($i: AssignRoleInput!) { assignRole(input: $i) { errors { code } } }"
CREATE_TEAM = "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } errors { code } } }"
ADD_MEMBER = "mutation($i: TeamMemberInput!) { addTeamMember(input: $i) { errors { code } } }"
SKILLS = "mutation($i: SetAgentSkillsInput!) { setAgentSkills(input: $i) { errors { code } } }"
CREATE_RULE = """mutation($i: CreateRoutingRuleInput!) { createRoutingRule(input: $i) {
  rule { id name strategy team { name } conditions { languages countries tiers minOrderTotal { amount currency } } }
  errors { code field } } }"""
UPDATE_RULE = """mutation($i: UpdateRoutingRuleInput!) { updateRoutingRule(input: $i) {
  rule { strategy team { name } } errors { code field } } }"""
AVAILABILITY = """mutation($i: SetAgentAvailabilityInput!) { setAgentAvailability(input: $i) {
  user { email availableForTickets maxOpenTickets openTickets } errors { code field } } }"""
DEDICATED = """mutation($i: SetDedicatedAgentInput!) { setDedicatedAgent(input: $i) {
  customer { displayName dedicatedAgent { email } } errors { code field } } }"""
CREATE_TICKET = """mutation($i: CreateTicketInput!) { createTicket(input: $i) {
  ticket { id team { name } assignee { email } } errors { code field } } }"""


def pk(gid: str) -> int:
    return int(relay.GlobalID.from_id(gid).node_id)


@dataclass
class Agent:
    gid: str
    id: int
    email: str
    token: str


async def make_agent(api: Api, t: TenantFixture, name: str, role: str = "agent",
                     languages: list[str] | None = None, categories: list[str] | None = None) -> Agent:
    email = f"{name}@{t.slug}.test"
    invited = await invite(api, t, email, name.title())
    assert (await accept(api, invited["token"]))["errors"] == []
    gid = to_global_id(UserType, (await User.get(email=email)).id)
    roles = await api.data(ROLES, token=t.token)
    role_id = next(e["node"]["id"] for e in roles["roles"]["edges"] if e["node"]["name"] == role)
    assert (await api.data(ASSIGN, {"i": {"userId": gid, "roleId": role_id}}, token=t.token))["assignRole"] \
        == {"errors": []}
    if languages or categories:
        skills = {"userId": gid, "languages": languages or [], "categories": categories or []}
        assert (await api.data(SKILLS, {"i": skills}, token=t.token))["setAgentSkills"]["errors"] == []
    return Agent(gid, pk(gid), email, await api.login(email, t.slug))


async def make_team(api: Api, t: TenantFixture, name: str, members: list[Agent], **fields: Any) -> str:
    team = (await api.data(CREATE_TEAM, {"i": {"name": name, **fields}}, token=t.token))["createTeam"]["team"]["id"]
    for agent in members:
        added = await api.data(ADD_MEMBER, {"i": {"teamId": team, "userId": agent.gid}}, token=t.token)
        assert added["addTeamMember"]["errors"] == []
    return team


async def make_rule(api: Api, t: TenantFixture, name: str, team: str, strategy: str = "round_robin",
                    **conditions: Any) -> dict[str, Any]:
    data = await api.data(CREATE_RULE, {"i": {"name": name, "teamId": team, "strategy": strategy,
                                              "conditions": conditions}}, token=t.token)
    assert data["createRoutingRule"]["errors"] == [], data
    return data["createRoutingRule"]["rule"]


_numbers = iter(range(10_000, 1_000_000))


async def routed(t: TenantFixture, now: datetime | None = None, **fields: Any) -> Ticket:
    """A ticket made with the ORM, routed as createTicket routes it, saved."""
    ticket = Ticket(tenant_id=t.id, number=next(_numbers), subject="Help", **fields)
    await routing.route(ticket, now)
    await ticket.save()
    return ticket


async def test_rules_pick_the_team_and_round_robin_takes_turns(api: Api, tenant: TenantFixture) -> None:
    ana, ben, cai = [await make_agent(api, tenant, n) for n in ("ana", "ben", "cai")]
    lone = await make_agent(api, tenant, "lone")
    eu = await make_team(api, tenant, "EU", [ana, ben, cai])
    vip_team = await make_team(api, tenant, "VIP desk", [lone])
    await make_rule(api, tenant, "VIP", vip_team, tiers=["vip"])
    shown = await make_rule(api, tenant, "Europe", eu, countries=["de", "FR"],
                            minOrderTotal={"amount": "1", "currency": "EUR"})
    assert shown == {"id": shown["id"], "name": "Europe", "strategy": "round_robin", "team": {"name": "EU"},
                     "conditions": {"languages": None, "countries": ["DE", "FR"], "tiers": None,
                                    "minOrderTotal": {"amount": "1.00", "currency": "EUR"}}}
    german = await Customer.create(tenant_id=tenant.id, first_name="Dora", country="DE")
    order = await Order.create(tenant_id=tenant.id, customer_id=german.id, number="O-1", currency="EUR", total=100,
                               placed_at=datetime.now(UTC))
    got = [(await routed(tenant, customer_id=german.id, order_id=order.id)).assignee_id for _ in range(4)]
    assert got == [ana.id, ben.id, cai.id, ana.id]
    cursor = await RoundRobinCursor.get(tenant_id=tenant.id, team_id=pk(eu))
    assert cursor.last_user_id == ana.id
    # No order in EUR: the Europe rule does not match, and no rule at all leaves the ticket unrouted.
    nothing = await routed(tenant, customer_id=german.id)
    assert (nothing.team_id, nothing.assignee_id) == (None, None)
    vip = await Customer.create(tenant_id=tenant.id, first_name="Val", tier="vip", country="DE")
    first = await routed(tenant, customer_id=vip.id, order_id=order.id)
    assert (first.team_id, first.assignee_id) == (pk(vip_team), lone.id)  # the first matching rule wins
    # Over HTTP: createTicket routes inside its transaction, continuing the same rotation.
    data = await api.data(CREATE_TICKET, {"i": {"type": "inquiry", "channel": "email", "subject": "Wo ist es?",
                                                "body": "Mein Paket fehlt.", "customerId": to_global_id(
                                                    CustomerType, german.id),
                                                "orderId": to_global_id(OrderType, order.id)}}, token=tenant.token)
    assert data["createTicket"]["ticket"]["team"] == {"name": "EU"}
    assert data["createTicket"]["ticket"]["assignee"] == {"email": ben.email}


async def test_concurrent_tickets_share_the_rotation_evenly(api: Api, tenant: TenantFixture) -> None:
    agents = [await make_agent(api, tenant, n) for n in ("p1", "p2", "p3")]
    team = await make_team(api, tenant, "Pool", agents)
    await make_rule(api, tenant, "All", team)
    body = {"type": "inquiry", "channel": "email", "subject": "Hi", "body": "Hello, a question."}
    results = await asyncio.gather(*(api.data(CREATE_TICKET, {"i": body}, token=tenant.token) for _ in range(9)))
    emails = [r["createTicket"]["ticket"]["assignee"]["email"] for r in results]
    assert sorted(emails.count(a.email) for a in agents) == [3, 3, 3], emails


async def test_least_loaded_language_availability_capacity_and_shift(api: Api, tenant: TenantFixture) -> None:
    de1 = await make_agent(api, tenant, "de1", languages=["de"])
    de2 = await make_agent(api, tenant, "de2", languages=["de-AT"])
    en1 = await make_agent(api, tenant, "en1", languages=["en"])
    supervisor = await make_agent(api, tenant, "boss", role="admin")
    team = await make_team(api, tenant, "Support", [de1, de2, en1])
    await make_rule(api, tenant, "All", team, strategy="least_loaded")
    for _ in range(2):
        await Ticket.create(tenant_id=tenant.id, number=next(_numbers), subject="x", assignee_id=de1.id,
                            status="open")
    await Ticket.create(tenant_id=tenant.id, number=next(_numbers), subject="x", assignee_id=de2.id, status="open")
    await Ticket.create(tenant_id=tenant.id, number=next(_numbers), subject="x", assignee_id=de2.id, status="closed")
    # German ticket: only the German speakers (de-AT counts), the one with fewer open tickets; a tie
    # goes to the lower id.
    assert (await routed(tenant, language="de")).assignee_id == de2.id
    assert (await routed(tenant, language="de")).assignee_id == de1.id
    # A language nobody speaks: any member, the least loaded.
    assert (await routed(tenant, language="ja")).assignee_id == en1.id
    # The agent switches themselves off; a supervisor caps another; an agent cannot touch others.
    off = await api.data(AVAILABILITY, {"i": {"available": False}}, token=de2.token)
    assert off["setAgentAvailability"]["user"] == {"email": de2.email, "availableForTickets": False,
                                                   "maxOpenTickets": None, "openTickets": 2}
    denied = await api.data(AVAILABILITY, {"i": {"userId": de1.gid, "available": False}}, token=en1.token)
    assert denied["setAgentAvailability"]["errors"] == [{"code": "FORBIDDEN", "field": ["userId"]}]
    own_cap = await api.data(AVAILABILITY, {"i": {"maxOpenTickets": 99}}, token=en1.token)
    assert own_cap["setAgentAvailability"]["errors"] == [{"code": "FORBIDDEN", "field": ["maxOpenTickets"]}]
    bad_cap = await api.data(AVAILABILITY, {"i": {"userId": de1.gid, "maxOpenTickets": -1}}, token=supervisor.token)
    assert bad_cap["setAgentAvailability"]["errors"] == [{"code": "INVALID_CAPACITY", "field": ["maxOpenTickets"]}]
    capped = await api.data(AVAILABILITY, {"i": {"userId": de1.gid, "maxOpenTickets": 3}}, token=supervisor.token)
    assert capped["setAgentAvailability"]["user"]["maxOpenTickets"] == 3
    # de1 has 3 open tickets, de2 is away: the German ticket waits in the team for a German speaker.
    full = await routed(tenant, language="de")
    assert (full.team_id, full.assignee_id) == (pk(team), None)
    assert (await routed(tenant, language="en")).assignee_id == en1.id
    # Off shift (a team with hours, outside them): the team only.
    night = await make_team(api, tenant, "Day shift", [en1], timezone="Europe/Madrid",
                            workingHours={"mon": [["09:00", "17:00"]]})
    monday_noon = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
    monday_night = datetime(2025, 6, 2, 22, 0, tzinfo=UTC)
    assert (await routed(tenant, monday_noon, team_id=pk(night))).assignee_id == en1.id
    late = await routed(tenant, monday_night, team_id=pk(night))
    assert (late.team_id, late.assignee_id) == (pk(night), None)
    profile = await AgentProfile.get(tenant_id=tenant.id, user_id=de2.id)
    assert profile.available is False


async def test_vip_customer_goes_to_their_dedicated_agent(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    ana = await make_agent(api, tenant, "ana")
    vera = await make_agent(api, tenant, "vera")
    team = await make_team(api, tenant, "General", [ana])
    key = await make_team(api, tenant, "Key accounts", [vera])
    await make_rule(api, tenant, "All", team)
    vip = await Customer.create(tenant_id=tenant.id, first_name="Vic", display_name="Vic", tier="vip")
    vip_id = to_global_id(CustomerType, vip.id)
    outsider = await make_agent(api, other_tenant, "out")
    theirs = await Customer.create(tenant_id=other_tenant.id, first_name="Theirs")
    bad = await api.data(DEDICATED, {"i": {"customerId": vip_id, "userId": outsider.gid}}, token=tenant.token)
    assert bad["setDedicatedAgent"]["errors"] == [{"code": "NOT_A_MEMBER", "field": ["userId"]}]
    foreign = await api.data(DEDICATED, {"i": {"customerId": to_global_id(CustomerType, theirs.id),
                                                "userId": vera.gid}}, token=tenant.token)
    assert foreign["setDedicatedAgent"]["errors"] == [{"code": "NOT_FOUND", "field": ["customerId"]}]
    assert not await DedicatedAgent.filter(tenant_id__in=[tenant.id, other_tenant.id]).exists()
    denied = await api.post(DEDICATED, {"i": {"customerId": vip_id, "userId": vera.gid}}, token=ana.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ok = await api.data(DEDICATED, {"i": {"customerId": vip_id, "userId": vera.gid}}, token=tenant.token)
    assert ok["setDedicatedAgent"] == {"customer": {"displayName": "Vic", "dedicatedAgent": {"email": vera.email}},
                                       "errors": []}
    # Vera is off shift by her own toggle: the VIP still goes to her (she owns the account).
    await api.data(AVAILABILITY, {"i": {"available": False}}, token=vera.token)
    ticket = await routed(tenant, customer_id=vip.id)
    assert (ticket.team_id, ticket.assignee_id) == (pk(key), vera.id)
    over_http = await api.data(CREATE_TICKET, {"i": {"type": "inquiry", "channel": "chat", "subject": "Hi",
                                                     "body": "It is me again.", "customerId": vip_id}},
                               token=tenant.token)
    assert over_http["createTicket"]["ticket"]["assignee"] == {"email": vera.email}
    cleared = await api.data(DEDICATED, {"i": {"customerId": vip_id, "userId": None}}, token=tenant.token)
    assert cleared["setDedicatedAgent"]["customer"]["dedicatedAgent"] is None
    assert (await routed(tenant, customer_id=vip.id)).assignee_id == ana.id


async def test_bad_routing_rules_are_refused(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    their_team = await make_team(api, other_tenant, "Theirs", [])
    my_team = await make_team(api, tenant, "Mine", [])
    bad = await api.data(CREATE_RULE, {"i": {"name": "x", "teamId": their_team, "strategy": "random",
                                             "conditions": {"keywords": ["refund"], "channels": ["pigeon"]}}},
                         token=tenant.token)
    assert {(e["code"], tuple(e["field"])) for e in bad["createRoutingRule"]["errors"]} == {
        ("NOT_FOUND", ("teamId",)), ("INVALID_STRATEGY", ("strategy",)),
        ("UNSUPPORTED_CONDITION", ("conditions", "keywords")), ("INVALID_CHANNEL", ("conditions", "channels", "0"))}
    wrong_type = await api.data(CREATE_RULE, {"i": {"name": "x", "teamId": to_global_id(CustomerType, 1)}},
                                token=tenant.token)
    assert wrong_type["createRoutingRule"]["errors"] == [{"code": "INVALID_ID", "field": ["teamId"]}]
    assert not await RoutingRule.filter(tenant_id=tenant.id).exists()
    rule = await make_rule(api, tenant, "ok", my_team)
    moved = await api.data(UPDATE_RULE, {"i": {"id": rule["id"], "teamId": their_team}}, token=tenant.token)
    assert moved["updateRoutingRule"]["errors"] == [{"code": "NOT_FOUND", "field": ["teamId"]}]
    changed = await api.data(UPDATE_RULE, {"i": {"id": rule["id"], "strategy": "least_loaded"}}, token=tenant.token)
    assert changed["updateRoutingRule"] == {"rule": {"strategy": "least_loaded", "team": {"name": "Mine"}},
                                            "errors": []}
    other_rule = await make_rule(api, other_tenant, "theirs", their_team)
    stolen = await api.data(UPDATE_RULE, {"i": {"id": other_rule["id"], "name": "mine now"}}, token=tenant.token)
    assert stolen["updateRoutingRule"]["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    listed = await api.data("{ routingRules { name } }", token=tenant.token)
    assert listed["routingRules"] == [{"name": "ok"}]
