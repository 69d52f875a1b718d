"""Rules that fire later than their event (an offset) or on a schedule, over HTTP: each once at its
time and not before, the conditions seeing the facts at firing time, schedules once per slot in the
tenant's time zone, switched-off rules' pending firings dropped, bad specs refused in the caller's
language. The clock is the scan's `now`: no test waits for real minutes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import automation
from core.automation import Action, ActionRun
from core.models import Tenant
from modules.automation.models import DueFiring, RuleFiring
from modules.automation.services.time_scan import scan
from tests.conftest import Api, TenantFixture
from tests.modules.automation_support import (
    CREATE_RULE,
    UPDATE_RULE,
    create_rule,
    customer,
    deliver,
    firings,
    move_order,
    order,
    tag,
    tags_of,
)

DUE = """query($id: ID!) { ruleDueFirings(ruleId: $id) { cause eventId dueAt } }"""
TICKET = """mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } errors { code } } }"""
STATUS = """mutation($i: ChangeTicketStatusInput!) { changeTicketStatus(input: $i) { ticket { status }
  errors { code } } }"""
NOTES = """query($id: ID!) { ticket(id: $id) { messages(first: 20) { nodes { kind body } } } }"""
THREE_DAYS = 3 * 24 * 60
SLOTS: list[tuple[int, str]] = []


async def _count_slot(run: ActionRun, params: Mapping[str, Any]) -> None:
    SLOTS.append((run.tenant_id, str(run.data.get("slot"))))


@pytest.fixture
def tenant_action() -> Iterator[None]:
    """A tenant-wide action of the tests' own (what a schedule acts on: no module offers one yet)."""
    before = automation.catalog()
    counting = Action("tests.count_slot", "Count the slot", "tenant", (), _count_slot, module="tests")
    automation.install(replace(before, actions={**before.actions, counting.name: counting}))
    SLOTS.clear()
    yield
    automation.install(before)


async def _due(api: Api, t: TenantFixture, rule_id: str) -> list[dict[str, Any]]:
    return (await api.data(DUE, {"id": rule_id}, token=t.token))["ruleDueFirings"]


async def test_an_offset_rule_fires_once_at_its_time_and_not_before(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture, relay: Any) -> None:
    await tag(api, tenant, "review-asked")
    rule = await create_rule(api, tenant, trigger="crm.order.status_changed", timing={"minutes": THREE_DAYS},
                             conditions={"field": "to", "op": "eq", "value": "delivered"},
                             actions=[{"action": "crm.add_tag", "params": {"tag": "review-asked"}}])
    assert rule["timing"] == {"minutes": THREE_DAYS, "from": None}
    who = await customer(api, tenant)
    placed = await order(api, tenant, who, "40")
    await move_order(api, tenant, placed, "shipped")
    await move_order(api, tenant, placed, "delivered")
    await deliver(rt, tenant.id)
    assert await firings(api, tenant, rule["id"]) == []  # not on the event itself
    (due,) = await _due(api, tenant, rule["id"])  # the shipped event owes nothing
    assert due["cause"] == "offset"
    assert await _due(api, other_tenant, rule["id"]) == []  # another tenant's admin sees none
    due_at = datetime.fromisoformat(due["dueAt"])
    assert timedelta(days=3) - timedelta(minutes=1) < due_at - datetime.now(UTC) <= timedelta(days=3)
    await scan(due_at - timedelta(minutes=1))
    assert await firings(api, tenant, rule["id"]) == [] and await tags_of(tenant, who) == []
    await scan(due_at + timedelta(seconds=1))
    await scan(due_at + timedelta(minutes=5))  # the next minute's run finds nothing more
    (fired,) = await firings(api, tenant, rule["id"])
    assert fired["cause"] == "offset" and fired["result"] == "done" and fired["eventId"] == due["eventId"]
    assert await tags_of(tenant, who) == ["review-asked"]
    assert await _due(api, tenant, rule["id"]) == []
    key = f"event:{due['eventId']}:+{THREE_DAYS}m"
    assert await RuleFiring.filter(tenant_id=tenant.id, cause_key=key).count() == 1
    back = await api.data(UPDATE_RULE, {"i": {"id": rule["id"], "timing": None}}, token=tenant.token)
    assert back["updateRule"]["errors"] == [] and back["updateRule"]["rule"]["timing"] is None  # on the event again


async def test_an_hour_before_the_sla_is_due_the_rule_fires(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    from modules.aftersales.models import Ticket
    from tests.modules.test_aftersales_sla import policy

    await policy(api, tenant, firstResponseMinutes=180)
    rule = await create_rule(api, tenant, trigger="aftersales.ticket.created",
                             timing={"minutes": -60, "from": "sla_due_at"},
                             actions=[{"action": "aftersales.set_ticket_priority", "params": {"priority": "high"}}])
    made = await api.data(TICKET, {"i": {"type": "inquiry", "channel": "email", "subject": "Late?",
                                         "body": "Where is my parcel, please?", "language": "en"}}, token=tenant.token)
    await deliver(rt, tenant.id)
    ticket = await Ticket.get(tenant_id=tenant.id)
    assert ticket.next_sla_due is not None
    (due,) = await _due(api, tenant, rule["id"])
    assert datetime.fromisoformat(due["dueAt"]) == ticket.next_sla_due - timedelta(hours=1)
    await scan(ticket.next_sla_due - timedelta(minutes=61))
    assert (await Ticket.get(id=ticket.id)).priority != "high"
    await scan(ticket.next_sla_due - timedelta(minutes=59))
    assert (await Ticket.get(id=ticket.id)).priority == "high"
    assert [f["cause"] for f in await firings(api, tenant, rule["id"])] == ["offset"]
    assert made["createTicket"]["errors"] == []


async def test_scans_walk_every_batch_of_due_firings_and_two_at_once_fire_each_once(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from modules.automation.services import time_scan

    await tag(api, tenant, "later")
    rule = await create_rule(api, tenant, trigger="crm.order.status_changed", timing={"minutes": 5},
                             actions=[{"action": "crm.add_tag", "params": {"tag": "later"}}])
    people = [await customer(api, tenant) for _ in range(5)]
    for n, who in enumerate(people):
        await move_order(api, tenant, await order(api, tenant, who, f"{n + 1}"), "shipped")
    await deliver(rt, tenant.id)
    monkeypatch.setattr(time_scan, "BATCH", 2)
    at = datetime.now(UTC) + timedelta(minutes=6)
    results = await asyncio.gather(scan(at), scan(at))  # two cron workers at once
    assert sum(r.fired for r in results) == 5
    assert len(await firings(api, tenant, rule["id"])) == 5
    assert [await tags_of(tenant, who) for who in people] == [["later"]] * 5


async def test_the_conditions_see_the_ticket_as_it_is_when_the_rule_fires(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    rule = await create_rule(api, tenant, trigger="aftersales.ticket.status_changed", timing={"minutes": 24 * 60},
                             conditions={"all": [{"field": "to", "op": "eq", "value": "resolved"},
                                                 {"field": "status", "op": "eq", "value": "resolved"}]},
                             actions=[{"action": "aftersales.add_internal_note",
                                       "params": {"body": "Resolved a day ago: ask how it went."}}])
    ids = []
    for subject in ("Stays resolved", "Reopened meanwhile"):
        made = await api.data(TICKET, {"i": {"type": "inquiry", "channel": "email", "subject": subject,
                                             "body": "Where is my parcel, please?", "language": "en"}},
                              token=tenant.token)
        ids.append(made["createTicket"]["ticket"]["id"])
        for status in ("open", "resolved"):
            await api.data(STATUS, {"i": {"ticketId": ids[-1], "status": status}}, token=tenant.token)
    await deliver(rt, tenant.id)
    await api.data(STATUS, {"i": {"ticketId": ids[1], "status": "open"}}, token=tenant.token)  # the customer wrote
    await deliver(rt, tenant.id)
    assert len(await _due(api, tenant, rule["id"])) == 2
    await scan(datetime.now(UTC) + timedelta(days=1, minutes=1))
    (fired,) = await firings(api, tenant, rule["id"])
    assert fired["cause"] == "offset"
    notes = [[m["body"] for m in (await api.data(NOTES, {"id": i}, token=tenant.token))["ticket"]["messages"]["nodes"]
              if m["kind"] == "note"] for i in ids]
    assert notes == [["Resolved a day ago: ask how it went."], []]
    assert await _due(api, tenant, rule["id"]) == []  # the reopened one's was dropped, not kept


async def test_a_schedule_fires_once_per_slot_in_the_tenants_time_zone(
        api: Api, tenant: TenantFixture, tenant_action: None) -> None:
    await Tenant.filter(id=tenant.id).update(timezone="Asia/Tokyo")
    rule = await create_rule(api, tenant, trigger="automation.schedule",
                             schedule={"every": "week", "on": ["mon"], "at": "09:00"},
                             actions=[{"action": "tests.count_slot"}])
    assert rule["schedule"] == {"every": "week", "on": ["mon"], "at": "09:00"}
    (first,) = await _due(api, tenant, rule["id"])
    slot = datetime.fromisoformat(first["dueAt"])
    assert slot.astimezone(UTC).weekday() == 0 and (slot.hour, slot.minute) == (0, 0)  # Monday 09:00 in Tokyo
    assert timedelta(0) < slot - datetime.now(UTC) <= timedelta(days=7)
    await scan(slot - timedelta(seconds=1))
    assert SLOTS == []
    await scan(slot + timedelta(seconds=30))
    await scan(slot + timedelta(seconds=90))  # two runs in the same slot
    assert [(tenant.id, slot.isoformat())] == SLOTS
    (following,) = await _due(api, tenant, rule["id"])
    assert datetime.fromisoformat(following["dueAt"]) == slot + timedelta(days=7)
    await scan(slot + timedelta(days=7, seconds=5))
    fired = await firings(api, tenant, rule["id"])
    assert [f["cause"] for f in fired] == ["schedule", "schedule"] and len(SLOTS) == 2
    assert {k for k in await RuleFiring.filter(tenant_id=tenant.id).values_list("cause_key", flat=True)} == {
        f"schedule:{(slot + timedelta(days=d)).strftime('%Y-%m-%dT%H:%MZ')}" for d in (0, 7)}


async def test_a_disabled_rules_pending_firings_do_not_fire(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any, tenant_action: None) -> None:
    await tag(api, tenant, "later")
    offset = await create_rule(api, tenant, trigger="crm.order.status_changed", timing={"minutes": 60},
                               actions=[{"action": "crm.add_tag", "params": {"tag": "later"}}])
    daily = await create_rule(api, tenant, trigger="automation.schedule", schedule={"every": "day", "at": "06:00"},
                              actions=[{"action": "tests.count_slot"}])
    who = await customer(api, tenant)
    await move_order(api, tenant, await order(api, tenant, who, "15"), "shipped")
    await deliver(rt, tenant.id)
    assert len(await _due(api, tenant, offset["id"])) == 1 and len(await _due(api, tenant, daily["id"])) == 1
    for rule in (offset, daily):
        data = await api.data(UPDATE_RULE, {"i": {"id": rule["id"], "enabled": False}}, token=tenant.token)
        assert data["updateRule"]["errors"] == []
        assert await _due(api, tenant, rule["id"]) == []
    await scan(datetime.now(UTC) + timedelta(days=2))
    assert await firings(api, tenant, offset["id"]) == [] and await firings(api, tenant, daily["id"]) == []
    assert await tags_of(tenant, who) == [] and SLOTS == []
    # Switched on again: the schedule owes its next slot; the offset's event is not fired late.
    await api.data(UPDATE_RULE, {"i": {"id": daily["id"], "enabled": True}}, token=tenant.token)
    assert len(await _due(api, tenant, daily["id"])) == 1
    assert not await DueFiring.filter(tenant_id=tenant.id, cause="offset").exists()


async def test_bad_offsets_and_schedules_are_refused_in_the_callers_language(api: Api, tenant: TenantFixture) -> None:
    async def errors(lang: str = "de", **rule: Any) -> list[tuple[str, tuple[str, ...], str]]:
        body = await api.post(CREATE_RULE, {"i": {"actions": [{"action": "crm.add_tag", "params": {"tag": "x"}}],
                                                  **rule}}, token=tenant.token, lang=lang)
        found = body["data"]["createRule"]
        assert found["rule"] is None
        return [(e["code"], tuple(e["field"]), e["message"]) for e in found["errors"] if e["field"][0] != "actions"]

    bad = await errors(trigger="automation.schedule", schedule={"every": "fortnight", "at": "25:00", "tz": "x"})
    assert [(c, f) for c, f, _ in bad] == [("INVALID_SCHEDULE", ("schedule", "tz")),
                                          ("INVALID_SCHEDULE", ("schedule", "every")),
                                          ("INVALID_TIME", ("schedule", "at"))]
    english = await errors("en", trigger="automation.schedule", schedule={"every": "fortnight", "at": "25:00"})
    assert bad[2][2] != english[1][2] and english[1][2].startswith("A time of day")  # German, not English
    days = await errors(trigger="automation.schedule", schedule={"every": "week", "on": ["monday"], "at": "09:00"})
    assert [(c, f) for c, f, _ in days] == [("INVALID_DAYS", ("schedule", "on"))]
    month = await errors(trigger="automation.schedule", schedule={"every": "month", "on": [31], "at": "09:00"})
    assert [(c, f) for c, f, _ in month] == [("INVALID_DAYS", ("schedule", "on"))]
    missing = await errors(trigger="automation.schedule")
    assert [(c, f) for c, f, _ in missing] == [("INVALID_SCHEDULE", ("schedule",))]
    off_schedule = await errors(trigger="crm.order.status_changed", schedule={"every": "day", "at": "09:00"})
    assert [(c, f) for c, f, _ in off_schedule] == [("INVALID_SCHEDULE", ("schedule",))]
    offsets = await errors(trigger="aftersales.ticket.created", timing={"minutes": -60, "from": "priority"})
    assert [(c, f) for c, f, _ in offsets] == [("UNKNOWN_FIELD", ("timing", "from"))]
    assert "sla_due_at" in offsets[0][2]
    before = await errors(trigger="aftersales.ticket.created", timing={"minutes": -60})
    assert [(c, f) for c, f, _ in before] == [("INVALID_OFFSET", ("timing", "from"))]
    too_far = await errors(trigger="aftersales.ticket.created", timing={"minutes": 10**7, "from": "sla_due_at"})
    assert [(c, f) for c, f, _ in too_far] == [("INVALID_OFFSET", ("timing", "minutes"))]
    # An hour before the SLA deadline the ticket event carries: accepted.
    sla = await api.data(CREATE_RULE, {"i": {"trigger": "aftersales.ticket.created",
                                             "timing": {"minutes": -60, "from": "sla_due_at"},
                                             "actions": [{"action": "aftersales.set_ticket_priority",
                                                          "params": {"priority": "high"}}]}}, token=tenant.token)
    assert sla["createRule"]["errors"] == [] and sla["createRule"]["rule"]["timing"] == {"minutes": -60,
                                                                                         "from": "sla_due_at"}
