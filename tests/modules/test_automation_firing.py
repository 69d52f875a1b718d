"""Rules firing on real events over HTTP: exactly once per (rule, event), in order, enabled ones only,
effects and firing record committed together, chains stopped, tenants apart; the dry run changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from core import events
from core.models import EventReceipt, OutboxEvent
from modules.automation.models import RuleFiring
from modules.automation.services.plan import MAX_CHAIN_DEPTH
from modules.crm.models import Tag
from tests.conftest import Api, TenantFixture
from tests.modules.automation_support import (
    UPDATE_RULE,
    VIP_RULE,
    create_rule,
    customer,
    deliver,
    firings,
    move_order,
    order,
    tag,
    tags_of,
)
from workers.settings import compose

TICKET = """mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id status } errors { code } } }"""
STATUS = """mutation($i: ChangeTicketStatusInput!) { changeTicketStatus(input: $i) { ticket { status }
  errors { code } } }"""
TEST_RULE = """query($i: TestRuleInput!) { testRule(input: $i) {
  results { eventId matches error wouldRun { action params subjectId } } errors { code field message } } }"""


async def test_the_vip_rule_fires_once_even_when_its_event_is_delivered_twice(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await tag(api, tenant, "VIP")
    rule = await create_rule(api, tenant, **VIP_RULE)
    big, small = await customer(api, tenant), await customer(api, tenant)
    big_order, small_order = await order(api, tenant, big, "150.00"), await order(api, tenant, small, "99.99")
    await move_order(api, tenant, big_order, "shipped")
    await move_order(api, tenant, small_order, "shipped")
    handlers = compose(rt.modules).event_handlers
    owed = await OutboxEvent.filter(tenant_id=tenant.id, handled_at=None).order_by("created_at")
    for each in owed:  # delivered three times at once, as two workers and a retry might
        await asyncio.gather(*[events.dispatch(str(each.id), handlers) for _ in range(3)])
    assert await tags_of(tenant, big) == ["VIP"]
    assert await tags_of(tenant, small) == []
    (fired,) = await firings(api, tenant, rule["id"])
    event = await OutboxEvent.get(tenant_id=tenant.id, topic="crm.order.status_changed", id=fired["eventId"])
    assert event.payload["total"] == 15000 and event.payload["to"] == "shipped"
    assert fired["result"] == "done" and fired["error"] is None and fired["cause"] == "event"
    assert fired["actions"] == [{"action": "crm.add_tag", "state": "done"}]
    # Delivered again as if its receipt were lost with a killed worker: the firing's key holds.
    await EventReceipt.filter(event_id=event.id).delete()
    await OutboxEvent.filter(id=event.id).update(handled_at=None)
    await deliver(rt, tenant.id)
    assert await OutboxEvent.filter(id=event.id, handled_at__isnull=False).exists()
    assert len(await firings(api, tenant, rule["id"])) == 1
    assert await RuleFiring.filter(tenant_id=tenant.id, cause_key=f"event:{event.id}").count() == 1


async def test_the_events_carry_their_triggers_fields_and_no_contact_data(api: Api, tenant: TenantFixture) -> None:
    from core import automation

    created = (await api.data('mutation { createCustomer(input: {firstName: "Ida", lastName: "Lund", '
                              'emails: ["ida@example.org"], country: "SE"}) { customer { id } } }',
                              token=tenant.token))["createCustomer"]["customer"]["id"]
    await move_order(api, tenant, await order(api, tenant, created, "12.50"), "shipped")
    for topic in ("crm.customer.created", "crm.order.created", "crm.order.status_changed"):
        event = await OutboxEvent.get(tenant_id=tenant.id, topic=topic)
        trigger = automation.trigger(topic)
        assert trigger is not None
        keys = {f.payload_key for f in trigger.fields} | set(trigger.subjects.values())
        assert keys <= set(event.payload), topic
        assert not {"ida@example.org", "Ida", "Lund"} & {str(v) for v in event.payload.values()}, topic
    assert (await OutboxEvent.get(tenant_id=tenant.id, topic="crm.customer.created")).payload["country"] == "SE"


async def test_any_and_not_conditions_and_a_disabled_rule(api: Api, rt: Any, tenant: TenantFixture,
                                                          relay: Any) -> None:
    for name in ("delivered-or-big", "not-usd", "never"):
        await tag(api, tenant, name)
    await create_rule(api, tenant, trigger="crm.order.status_changed", conditions={"any": [
        {"field": "to", "op": "eq", "value": "delivered"},
        {"field": "total", "op": "gte", "value": {"amount": "500", "currency": "EUR"}}]},
        actions=[{"action": "crm.add_tag", "params": {"tag": "delivered-or-big"}}])
    await create_rule(api, tenant, trigger="crm.order.status_changed",
                      conditions={"not": {"field": "total", "op": "is_set", "value": False}},
                      actions=[{"action": "crm.add_tag", "params": {"tag": "not-usd"}}])
    await create_rule(api, tenant, trigger="crm.order.status_changed", enabled=False,
                      actions=[{"action": "crm.add_tag", "params": {"tag": "never"}}])
    shipped_big, shipped_small = await customer(api, tenant), await customer(api, tenant)
    for who, price in ((shipped_big, "600"), (shipped_small, "20")):
        await move_order(api, tenant, await order(api, tenant, who, price), "shipped")
    await deliver(rt, tenant.id)
    assert await tags_of(tenant, shipped_big) == ["delivered-or-big", "not-usd"]
    assert await tags_of(tenant, shipped_small) == ["not-usd"]
    usd = await customer(api, tenant)
    usd_order = await order(api, tenant, usd, "1000", "USD")
    await move_order(api, tenant, usd_order, "shipped")
    await deliver(rt, tenant.id)
    assert await tags_of(tenant, usd) == ["not-usd"]  # 1000 USD is not >= 500 EUR
    await move_order(api, tenant, usd_order, "delivered")
    await deliver(rt, tenant.id)
    assert await tags_of(tenant, usd) == ["delivered-or-big", "not-usd"]


async def test_rules_run_in_order_of_position(api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await tag(api, tenant, "VIP")
    add = await create_rule(api, tenant, trigger="crm.order.status_changed", position=1,
                            actions=[{"action": "crm.add_tag", "params": {"tag": "VIP"}}])
    remove = await create_rule(api, tenant, trigger="crm.order.status_changed", position=0,
                               actions=[{"action": "crm.remove_tag", "params": {"tag": "VIP"}}])
    first = await customer(api, tenant)
    await move_order(api, tenant, await order(api, tenant, first, "10"), "shipped")
    await deliver(rt, tenant.id)
    assert await tags_of(tenant, first) == ["VIP"]  # removed, then added
    await api.data(UPDATE_RULE, {"i": {"id": remove["id"], "position": 2}}, token=tenant.token)
    second = await customer(api, tenant)
    await move_order(api, tenant, await order(api, tenant, second, "10"), "shipped")
    await deliver(rt, tenant.id)
    assert await tags_of(tenant, second) == []  # added, then removed
    add_firings, remove_firings = await firings(api, tenant, add["id"]), await firings(api, tenant, remove["id"])
    assert len(add_firings) == len(remove_firings) == 2


async def test_a_failing_action_undoes_the_rules_effects_and_records_the_firing(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    for name in ("VIP", "gone", "later"):
        await tag(api, tenant, name)
    rule = await create_rule(api, tenant, trigger="crm.order.status_changed", actions=[
        {"action": "crm.add_tag", "params": {"tag": "VIP"}}, {"action": "crm.add_tag", "params": {"tag": "gone"}},
        {"action": "crm.remove_tag", "params": {"tag": "VIP"}}])
    later = await create_rule(api, tenant, trigger="crm.order.status_changed",
                              actions=[{"action": "crm.add_tag", "params": {"tag": "later"}}])
    await Tag.filter(tenant_id=tenant.id, name="gone").delete()  # deleted after the rule was saved
    who = await customer(api, tenant)
    await move_order(api, tenant, await order(api, tenant, who, "10"), "shipped")
    await deliver(rt, tenant.id)
    (failed,) = await firings(api, tenant, rule["id"])
    assert failed["result"] == "failed" and failed["error"] == "NOT_FOUND"
    assert failed["actions"] == [{"action": "crm.add_tag", "state": "undone"},
                                 {"action": "crm.add_tag", "state": "failed"},
                                 {"action": "crm.remove_tag", "state": "skipped"}]
    (done,) = await firings(api, tenant, later["id"])
    assert done["result"] == "done"  # the next rule still ran
    assert await tags_of(tenant, who) == ["later"]  # the failed rule's VIP tag was undone
    assert not await OutboxEvent.filter(tenant_id=tenant.id, handled_at=None).exists()


async def test_rules_that_trigger_each_other_stop_at_the_chain_depth(api: Api, rt: Any, tenant: TenantFixture,
                                                                     relay: Any) -> None:
    def flip(to: str, then: str) -> dict[str, Any]:
        return {"trigger": "aftersales.ticket.status_changed",
                "conditions": {"field": "to", "op": "eq", "value": to},
                "actions": [{"action": "aftersales.set_ticket_status", "params": {"status": then}}]}

    hold = await create_rule(api, tenant, **flip("open", "on_hold"))
    reopen = await create_rule(api, tenant, **flip("on_hold", "open"))
    ticket = (await api.data(TICKET, {"i": {"type": "inquiry", "channel": "email", "subject": "Loop",
                                            "body": "Where is my parcel, please?", "language": "en"}},
                             token=tenant.token))["createTicket"]["ticket"]
    await api.data(STATUS, {"i": {"ticketId": ticket["id"], "status": "open"}}, token=tenant.token)
    await deliver(rt, tenant.id)
    fired = await firings(api, tenant, hold["id"]) + await firings(api, tenant, reopen["id"])
    assert sorted(f["depth"] for f in fired) == list(range(MAX_CHAIN_DEPTH + 1))
    stopped = [f for f in fired if f["result"] == "stopped"]
    assert [(f["depth"], f["error"]) for f in stopped] == [(MAX_CHAIN_DEPTH, "CHAIN_TOO_DEEP")]
    assert all(f["result"] == "done" for f in fired if f not in stopped)
    changes = await OutboxEvent.filter(tenant_id=tenant.id, topic="aftersales.ticket.status_changed").count()
    assert changes == MAX_CHAIN_DEPTH + 1  # the agent's change, then one per firing that ran
    assert not await OutboxEvent.filter(tenant_id=tenant.id, handled_at=None).exists()


async def test_the_dry_run_shows_what_a_rule_would_do_and_changes_nothing(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await tag(api, tenant, "VIP")
    rule = await create_rule(api, tenant, **{**VIP_RULE, "enabled": False})
    big, small = await customer(api, tenant), await customer(api, tenant)
    await move_order(api, tenant, await order(api, tenant, big, "150"), "shipped")
    await move_order(api, tenant, await order(api, tenant, small, "50"), "shipped")
    saved = (await api.data(TEST_RULE, {"i": {"ruleId": rule["id"], "last": 5}}, token=tenant.token))["testRule"]
    assert saved["errors"] == []
    assert [r["matches"] for r in saved["results"]] == [False, True]  # newest first
    (step,) = saved["results"][1]["wouldRun"]
    assert step == {"action": "crm.add_tag", "params": {"tag": "vip"}, "subjectId": big}
    inline = (await api.data(TEST_RULE, {"i": {"trigger": "crm.order.status_changed", "last": 1,
                                               "conditions": {"field": "total", "op": "lt",
                                                              "value": {"amount": "60", "currency": "EUR"}},
                                               "actions": [{"action": "crm.add_tag", "params": {"tag": "VIP"}}]}},
                        token=tenant.token))["testRule"]
    assert [r["matches"] for r in inline["results"]] == [True]
    bad = (await api.data(TEST_RULE, {"i": {"trigger": "crm.order.status_changed", "last": 500,
                                            "conditions": {"field": "nope", "op": "eq", "value": 1},
                                            "actions": [{"action": "crm.add_tag", "params": {"tag": "VIP"}}]}},
                      token=tenant.token))["testRule"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("UNKNOWN_FIELD", ["conditions", "field"])]
    assert await RuleFiring.filter(tenant_id=tenant.id).count() == 0
    assert await tags_of(tenant, big) == [] and await tags_of(tenant, small) == []
    too_many = (await api.data(TEST_RULE, {"i": {"ruleId": rule["id"], "last": 500}}, token=tenant.token))["testRule"]
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [("INVALID_COUNT", ["last"])]


async def test_a_rule_never_sees_another_tenants_events(api: Api, rt: Any, tenant: TenantFixture,
                                                       other_tenant: TenantFixture, relay: Any) -> None:
    for t in (tenant, other_tenant):
        await tag(api, t, "VIP")
    rule = await create_rule(api, tenant, **VIP_RULE)
    theirs = await customer(api, other_tenant)
    await move_order(api, other_tenant, await order(api, other_tenant, theirs, "500"), "shipped")
    await deliver(rt, other_tenant.id)
    assert await tags_of(other_tenant, theirs) == []
    assert await firings(api, tenant, rule["id"]) == []
    tried = (await api.data(TEST_RULE, {"i": {"ruleId": rule["id"]}}, token=tenant.token))["testRule"]
    assert tried == {"results": [], "errors": []}
    foreign = await api.post("query($id: ID!) { ruleFirings(ruleId: $id) { edges { node { id } } } }",
                             {"id": rule["id"]}, token=other_tenant.token)
    assert foreign["data"]["ruleFirings"]["edges"] == []


async def test_ticket_actions_change_the_events_ticket_as_the_system(api: Api, rt: Any, tenant: TenantFixture,
                                                                    relay: Any) -> None:
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType

    team = (await api.data('mutation { createTeam(input: {name: "Escalations"}) { team { id } } }',
                           token=tenant.token))["createTeam"]["team"]["id"]
    me = to_global_id(UserType, tenant.admin_id)
    await create_rule(api, tenant, trigger="aftersales.ticket.created", conditions={"all": [
        {"field": "channel", "op": "eq", "value": "email"}, {"field": "tags", "op": "contains", "value": "URGENT"}]},
        actions=[{"action": "aftersales.set_ticket_priority", "params": {"priority": "urgent"}},
                 {"action": "aftersales.assign_ticket_team", "params": {"team": team}},
                 {"action": "aftersales.assign_ticket", "params": {"user": me}},
                 {"action": "aftersales.add_ticket_tag", "params": {"tag": "Auto"}},
                 {"action": "aftersales.remove_ticket_tag", "params": {"tag": "urgent"}},
                 {"action": "aftersales.add_internal_note", "params": {"body": "Escalated by a rule."}}])
    made = []
    for channel, tags in (("email", ["urgent"]), ("chat", ["urgent"]), ("email", [])):
        made.append((await api.data(TICKET, {"i": {"type": "inquiry", "channel": channel, "subject": "Help",
                                                   "body": "Where is my parcel, please?", "language": "en",
                                                   "tags": tags}}, token=tenant.token))["createTicket"]["ticket"])
    await deliver(rt, tenant.id)
    view = """query($id: ID!) { ticket(id: $id) { priority tags team { id } assignee { id }
      messages(first: 10) { nodes { kind body author { id } } } } }"""
    acted = (await api.data(view, {"id": made[0]["id"]}, token=tenant.token))["ticket"]
    assert (acted["priority"], acted["tags"], acted["team"], acted["assignee"]) == \
        ("urgent", ["auto"], {"id": team}, {"id": me})
    assert {"kind": "note", "body": "Escalated by a rule.", "author": None} in acted["messages"]["nodes"]
    for untouched in made[1:]:  # chat, or no urgent tag: the conditions do not hold
        other = (await api.data(view, {"id": untouched["id"]}, token=tenant.token))["ticket"]
        assert other["priority"] != "urgent" and "auto" not in other["tags"]
        assert [m["kind"] for m in other["messages"]["nodes"]] == ["inbound"]
