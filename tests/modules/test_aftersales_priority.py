"""Priority rules over HTTP: CRUD with field errors, reorder, first match wins on createTicket
(keywords in any language, order total per currency, tier, type, channel), agents' overrides,
permissions and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strawberry import relay

from core.access.admin import assign_role_by_name
from core.graphql.node import to_global_id
from core.identity import add_user
from modules.aftersales.models import PriorityRule, Ticket
from modules.aftersales.services.routing import priority
from modules.crm.graphql.types import CustomerType, OrderType
from modules.crm.models import Customer, Order
from tests.conftest import PASSWORD, Api, TenantFixture

RULE_FIELDS = """rule { id name position priority active conditions { types channels tiers keywords languages
  countries minOrderTotal { amount currency } } } errors { code field message }"""
CREATE_RULE = "mutation($i: CreatePriorityRuleInput!) { createPriorityRule(input: $i) { " + RULE_FIELDS + " } }"
UPDATE_RULE = "mutation($i: UpdatePriorityRuleInput!) { updatePriorityRule(input: $i) { " + RULE_FIELDS + " } }"
DELETE_RULE = "mutation($i: DeleteRuleInput!) { deletePriorityRule(input: $i) { deletedId errors { code field } } }"
REORDER = """mutation($i: ReorderRulesInput!) { reorderPriorityRules(input: $i) {
  rules { name position } errors { code field } } }"""
RULES = "{ priorityRules { name position priority } }"
CREATE_TICKET = """mutation($i: CreateTicketInput!) { createTicket(input: $i) {
  ticket { id priority priorityOverridden } errors { code field } } }"""


async def rule(api: Api, t: TenantFixture, name: str, level: str, **conditions: Any) -> str:
    data = await api.data(CREATE_RULE, {"i": {"name": name, "priority": level, "conditions": conditions}},
                          token=t.token)
    assert data["createPriorityRule"]["errors"] == [], data
    return data["createPriorityRule"]["rule"]["id"]


async def ticket_priority(api: Api, t: TenantFixture, **fields: Any) -> str:
    values = {"type": "inquiry", "channel": "email", "subject": "Question", "body": "Hello there.", **fields}
    data = await api.data(CREATE_TICKET, {"i": values}, token=t.token)
    assert data["createTicket"]["errors"] == [], data
    return data["createTicket"]["ticket"]["priority"]


async def test_first_matching_rule_sets_the_priority_of_a_new_ticket(api: Api, tenant: TenantFixture) -> None:
    await rule(api, tenant, "Legal threats", "urgent", keywords=["chargeback", "lawyer", "律师", "abogado"])
    await rule(api, tenant, "Big orders", "high", minOrderTotal={"amount": "500", "currency": "EUR"})
    await rule(api, tenant, "VIPs", "high", tiers=["vip"])
    await rule(api, tenant, "Chat complaints", "low", types=["complaint"], channels=["chat"])
    vip = await Customer.create(tenant_id=tenant.id, first_name="Vera", tier="vip")
    plain = await Customer.create(tenant_id=tenant.id, first_name="Pat")
    now = datetime.now(UTC)
    big = await Order.create(tenant_id=tenant.id, customer_id=plain.id, number="B-1", currency="EUR", total=60000,
                             placed_at=now)
    big_usd = await Order.create(tenant_id=tenant.id, customer_id=plain.id, number="B-2", currency="USD",
                                 total=90000, placed_at=now)
    small = await Order.create(tenant_id=tenant.id, customer_id=plain.id, number="B-3", currency="EUR",
                               total=49999, placed_at=now)
    plain_id = to_global_id(CustomerType, plain.id)

    assert await ticket_priority(api, tenant, body="I will file a CHARGEBACK with my bank.") == "urgent"
    assert await ticket_priority(api, tenant, subject="Lawyer!", body="x") == "urgent"
    assert await ticket_priority(api, tenant, body="我要找律师投诉") == "urgent"  # no spaces in Chinese
    assert await ticket_priority(api, tenant, body="Mi abogado le escribirá.") == "urgent"
    assert await ticket_priority(api, tenant, body="Many chargebacks happen.") == "normal"  # whole words only
    assert await ticket_priority(api, tenant, customerId=plain_id,
                                 orderId=to_global_id(OrderType, big.id)) == "high"
    assert await ticket_priority(api, tenant, customerId=plain_id,
                                 orderId=to_global_id(OrderType, small.id)) == "normal"
    assert await ticket_priority(api, tenant, customerId=plain_id,
                                 orderId=to_global_id(OrderType, big_usd.id)) == "normal"  # another currency
    assert await ticket_priority(api, tenant, customerId=to_global_id(CustomerType, vip.id)) == "high"
    assert await ticket_priority(api, tenant, type="complaint", channel="chat") == "low"
    assert await ticket_priority(api, tenant, type="complaint", channel="email") == "normal"
    # An agent's choice wins over the rules.
    chosen = await api.data(CREATE_TICKET, {"i": {"type": "inquiry", "channel": "email", "subject": "chargeback",
                                                  "body": "x", "priority": "low"}}, token=tenant.token)
    assert chosen["createTicket"]["ticket"]["priority"] == "low"
    assert chosen["createTicket"]["ticket"]["priorityOverridden"] is True


async def test_reorder_and_deactivate_change_which_rule_wins(api: Api, tenant: TenantFixture) -> None:
    low = await rule(api, tenant, "Everything low", "low")
    urgent = await rule(api, tenant, "Refunds urgent", "urgent", types=["refund"])
    assert await ticket_priority(api, tenant, type="refund") == "low"
    moved = await api.data(REORDER, {"i": {"ids": [urgent, low]}}, token=tenant.token)
    assert moved["reorderPriorityRules"] == {"rules": [{"name": "Refunds urgent", "position": 0},
                                                       {"name": "Everything low", "position": 1}], "errors": []}
    assert await ticket_priority(api, tenant, type="refund") == "urgent"
    off = await api.data(UPDATE_RULE, {"i": {"id": urgent, "active": False}}, token=tenant.token)
    assert off["updatePriorityRule"]["rule"]["active"] is False
    assert off["updatePriorityRule"]["rule"]["conditions"]["types"] == ["refund"]  # untouched by the update
    assert await ticket_priority(api, tenant, type="refund") == "low"
    gone = await api.data(DELETE_RULE, {"i": {"id": low}}, token=tenant.token)
    assert gone["deletePriorityRule"] == {"deletedId": low, "errors": []}
    assert (await api.data(RULES, token=tenant.token))["priorityRules"] == [
        {"name": "Refunds urgent", "position": 0, "priority": "urgent"}]
    incomplete = await api.data(REORDER, {"i": {"ids": []}}, token=tenant.token)
    assert incomplete["reorderPriorityRules"]["errors"] == [{"code": "INVALID_ORDER", "field": ["ids"]}]
    audit = await api.data('{ auditLog(first: 20) { edges { node { action } } } }', token=tenant.token)
    assert [e["node"]["action"] for e in audit["auditLog"]["edges"] if e["node"]["action"].startswith("priority")] \
        == ["priority_rule.delete", "priority_rule.update", "priority_rule.reorder", "priority_rule.create",
            "priority_rule.create"]


async def test_bad_rules_are_refused_field_by_field_and_nothing_is_written(api: Api, tenant: TenantFixture) -> None:
    bad = await api.data(CREATE_RULE, {"i": {"name": " ", "priority": "critical", "conditions": {
        "types": ["inquiry", "gossip"], "channels": ["fax"], "tiers": ["platinum"], "languages": ["xx-!!"],
        "countries": ["XX"], "keywords": [" "], "minOrderTotal": {"amount": "10.999", "currency": "EUR"}}}},
        token=tenant.token)
    errors = {(e["code"], tuple(e["field"])) for e in bad["createPriorityRule"]["errors"]}
    assert errors == {
        ("INVALID_NAME", ("name",)), ("INVALID_PRIORITY", ("priority",)),
        ("INVALID_TYPE", ("conditions", "types", "1")), ("INVALID_CHANNEL", ("conditions", "channels", "0")),
        ("INVALID_TIER", ("conditions", "tiers", "0")), ("INVALID_LANGUAGE", ("conditions", "languages", "0")),
        ("INVALID_COUNTRY", ("conditions", "countries", "0")), ("INVALID_KEYWORD", ("conditions", "keywords", "0")),
        ("TOO_MANY_DECIMALS", ("conditions", "minOrderTotal", "amount")),
    }
    assert bad["createPriorityRule"]["rule"] is None
    currency = await api.data(CREATE_RULE, {"i": {"name": "x", "priority": "high", "conditions": {
        "minOrderTotal": {"amount": "1", "currency": "EURO"}}}}, token=tenant.token)
    assert currency["createPriorityRule"]["errors"][0]["code"] == "INVALID_CURRENCY"
    spanish = await api.data(CREATE_RULE, {"i": {"name": "x", "priority": "crítica"}}, token=tenant.token, lang="es")
    assert spanish["createPriorityRule"]["errors"][0]["message"] != \
        "Unknown priority crítica: use low, normal, high or urgent."
    assert not await PriorityRule.filter(tenant_id=tenant.id).exists()
    ok = await rule(api, tenant, "ok", "high", countries=["de"], languages=["de_AT"], keywords=["Lawyer", "lawyer"])
    shown = (await api.data(UPDATE_RULE, {"i": {"id": ok, "priority": "nope"}}, token=tenant.token))
    assert shown["updatePriorityRule"]["errors"] == [{"code": "INVALID_PRIORITY", "field": ["priority"],
                                                      "message": shown["updatePriorityRule"]["errors"][0]["message"]}]
    row = await PriorityRule.get(id=int(relay.GlobalID.from_id(ok).node_id))
    assert row.priority == "high"
    assert row.conditions == {"countries": ["DE"], "languages": ["de-AT"], "keywords": ["lawyer"]}


async def test_other_tenants_rules_are_not_found_and_agents_cannot_edit(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    mine = await rule(api, tenant, "mine", "high")
    theirs = await rule(api, other_tenant, "theirs", "low")
    for query, key, extra in ((UPDATE_RULE, "updatePriorityRule", {"name": "stolen"}),
                              (DELETE_RULE, "deletePriorityRule", {})):
        data = await api.data(query, {"i": {"id": theirs, **extra}}, token=tenant.token)
        assert data[key]["errors"][0]["code"] == "NOT_FOUND"
    mixed = await api.data(REORDER, {"i": {"ids": [theirs, mine]}}, token=tenant.token)
    assert mixed["reorderPriorityRules"]["errors"] == [{"code": "INVALID_ORDER", "field": ["ids"]}]
    node = await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": theirs}, token=tenant.token)
    assert node["node"] is None
    assert (await api.data(RULES, token=other_tenant.token))["priorityRules"] == [
        {"name": "theirs", "position": 0, "priority": "low"}]
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, agent.id, "agent")
    rt.access.invalidate(tenant.id)
    token = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    denied = await api.post(CREATE_RULE, {"i": {"name": "x", "priority": "low"}}, token=token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len((await api.data(RULES, token=token))["priorityRules"]) == 1  # agents may read them


async def test_compute_without_rules_or_match_is_none(tenant: TenantFixture) -> None:
    ticket = Ticket(tenant_id=tenant.id, number=1, subject="Hi", type="inquiry", channel="email")
    assert await priority.compute(ticket, "nothing") is None
    await PriorityRule.create(tenant_id=tenant.id, position=0, name="n", priority="urgent",
                              conditions={"keywords": ["fraud"]})
    assert await priority.compute(ticket, "nothing") is None
    assert await priority.compute(ticket, "This is FRAUD.") == "urgent"
