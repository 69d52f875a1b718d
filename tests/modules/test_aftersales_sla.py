"""SLA settings over HTTP (policies, escalation rules, calendars: validation, permission, tenant
isolation) and the clocks of real tickets created and changed through the tickets API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.graphql.node import to_global_id
from core.models import AuditEntry
from modules.aftersales.models import EscalationRule, SlaCalendar, SlaPolicy, Ticket
from modules.aftersales.services.business_hours import calendar_for
from modules.team.graphql.types import TeamType, UserType
from modules.team.models import Team
from tests.conftest import Api, TenantFixture, make_tenant
from tests.modules.test_aftersales_tickets import MESSAGE, STATUS, create, pk

POLICY_FIELDS = "id name position active priorities tiers channels firstResponseMinutes nextResponseMinutes " \
                "resolutionMinutes"
CREATE_POLICY = f"""mutation($i: CreateSlaPolicyInput!) {{ createSlaPolicy(input: $i) {{
  policy {{ {POLICY_FIELDS} }} errors {{ code field message }} }} }}"""
UPDATE_POLICY = f"""mutation($i: UpdateSlaPolicyInput!) {{ updateSlaPolicy(input: $i) {{
  policy {{ {POLICY_FIELDS} }} errors {{ code field }} }} }}"""
DELETE_POLICY = """mutation($i: DeleteSlaPolicyInput!) { deleteSlaPolicy(input: $i) { deletedId errors { code } } }"""
POLICIES = f"{{ slaPolicies {{ {POLICY_FIELDS} }} }}"
RULE_FIELDS = "id name trigger withinMinutes clock priorities notify raisePriority team { name } " \
              "reassignTeam { name } reassignUser { email }"
CREATE_RULE = f"""mutation($i: CreateEscalationRuleInput!) {{ createEscalationRule(input: $i) {{
  rule {{ {RULE_FIELDS} }} errors {{ code field }} }} }}"""
UPDATE_RULE = f"""mutation($i: UpdateEscalationRuleInput!) {{ updateEscalationRule(input: $i) {{
  rule {{ {RULE_FIELDS} }} errors {{ code field }} }} }}"""
DELETE_RULE = """mutation($i: DeleteEscalationRuleInput!) { deleteEscalationRule(input: $i) { deletedId errors { code } } }"""
SET_CALENDAR = """mutation($i: SetSlaCalendarInput!) { setSlaCalendar(input: $i) {
  calendar { team { name } holidayCountry holidaySubdivision workingHours } errors { code field } } }"""
TICKET_SLA = """query($id: ID!) { ticket(id: $id) { status priority firstResponseDue nextResponseDue resolutionDue
  nextSlaDue slaPausedAt slaState } }"""
UPDATE_TICKET = """mutation($i: UpdateTicketInput!) { updateTicket(input: $i) { ticket { priority resolutionDue }
  errors { code } } }"""
OFFICE = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


async def policy(api: Api, t: TenantFixture, **values: Any) -> dict[str, Any]:
    data = await api.data(CREATE_POLICY, {"i": {"name": "Standard", "firstResponseMinutes": 60, **values}},
                          token=t.token)
    assert data["createSlaPolicy"]["errors"] == [], data
    return data["createSlaPolicy"]["policy"]


def when(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value)


def near(value: str | None, expected: datetime, seconds: float = 10) -> bool:
    return abs((when(value) - expected).total_seconds()) < seconds


async def test_sla_policies_are_validated_ordered_audited_and_kept_per_tenant(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    vip = await policy(api, tenant, name="VIP", position=1, tiers=["vip", "gold"], priorities=["urgent"],
                       channels=["chat"], resolutionMinutes=240)
    assert vip["tiers"] == ["gold", "vip"] and vip["nextResponseMinutes"] is None
    await policy(api, tenant, name="Everyone", position=5, resolutionMinutes=2880)
    bad = await api.data(CREATE_POLICY, {"i": {
        "name": " ", "priorities": ["asap"], "tiers": ["platinum"], "channels": ["fax"],
        "firstResponseMinutes": -5, "resolutionMinutes": 0}}, token=tenant.token)
    codes = {(e["code"], tuple(e["field"])) for e in bad["createSlaPolicy"]["errors"]}
    assert codes == {("INVALID_NAME", ("name",)), ("UNKNOWN_PRIORITY", ("priorities", "0")),
                     ("UNKNOWN_TIER", ("tiers", "0")), ("UNKNOWN_CHANNEL", ("channels", "0")),
                     ("INVALID_MINUTES", ("firstResponseMinutes",)), ("INVALID_MINUTES", ("resolutionMinutes",))}
    assert "urgent" in next(e["message"] for e in bad["createSlaPolicy"]["errors"] if e["code"] == "UNKNOWN_PRIORITY")
    none = await api.data(CREATE_POLICY, {"i": {"name": "Nothing"}}, token=tenant.token)
    assert [e["code"] for e in none["createSlaPolicy"]["errors"]] == ["NO_TARGET"]
    taken = await api.data(CREATE_POLICY, {"i": {"name": "VIP", "firstResponseMinutes": 5}}, token=tenant.token)
    assert [e["code"] for e in taken["createSlaPolicy"]["errors"]] == ["NAME_TAKEN"]
    assert await SlaPolicy.filter(tenant_id=tenant.id).count() == 2

    updated = await api.data(UPDATE_POLICY, {"i": {"id": vip["id"], "position": 9, "firstResponseMinutes": None,
                                                   "nextResponseMinutes": 15}}, token=tenant.token)
    assert updated["updateSlaPolicy"]["policy"]["firstResponseMinutes"] is None
    assert updated["updateSlaPolicy"]["policy"]["tiers"] == ["gold", "vip"]  # omitted: kept
    refused = await api.data(UPDATE_POLICY, {"i": {"id": vip["id"], "nextResponseMinutes": None,
                                                   "resolutionMinutes": None}}, token=tenant.token)
    assert [e["code"] for e in refused["updateSlaPolicy"]["errors"]] == ["NO_TARGET"]
    listed = (await api.data(POLICIES, token=tenant.token))["slaPolicies"]
    assert [p["name"] for p in listed] == ["Everyone", "VIP"]
    assert (await api.data(POLICIES, token=other_tenant.token))["slaPolicies"] == []
    assert await AuditEntry.filter(tenant_id=tenant.id, action__startswith="sla_policy.").count() == 3

    foreign = await api.data(UPDATE_POLICY, {"i": {"id": vip["id"], "name": "Mine"}}, token=other_tenant.token)
    assert [e["code"] for e in foreign["updateSlaPolicy"]["errors"]] == ["NOT_FOUND"]
    gone = await api.data(DELETE_POLICY, {"i": {"id": vip["id"]}}, token=other_tenant.token)
    assert [e["code"] for e in gone["deleteSlaPolicy"]["errors"]] == ["NOT_FOUND"]
    agent = await make_tenant(api, rt, "agent")
    forbidden = await api.post(CREATE_POLICY, {"i": {"name": "X", "firstResponseMinutes": 5}}, token=agent.token)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    deleted = await api.data(DELETE_POLICY, {"i": {"id": vip["id"]}}, token=tenant.token)
    assert deleted["deleteSlaPolicy"] == {"deletedId": vip["id"], "errors": []}
    assert await SlaPolicy.filter(tenant_id=tenant.id).count() == 1


async def test_escalation_rules_check_their_references_in_the_tenant(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    team = await Team.create(tenant_id=tenant.id, name="Tier 2")
    foreign_team = await Team.create(tenant_id=other_tenant.id, name="Theirs")
    data = await api.data(CREATE_RULE, {"i": {
        "name": "Warn", "trigger": "due_soon", "withinMinutes": 30, "clock": "resolution", "notify": True,
        "reassignTeamId": to_global_id(TeamType, team.id), "reassignUserId": to_global_id(UserType, tenant.admin_id),
        "priorities": ["high"]}}, token=tenant.token)
    rule = data["createEscalationRule"]["rule"]
    assert rule["reassignTeam"] == {"name": "Tier 2"} and rule["reassignUser"]["email"] == tenant.admin_email
    assert rule["withinMinutes"] == 30 and rule["team"] is None
    bad = await api.data(CREATE_RULE, {"i": {
        "name": "Bad", "trigger": "later", "clock": "lunch", "priorities": ["meh"],
        "teamId": to_global_id(TeamType, foreign_team.id),
        "reassignUserId": to_global_id(UserType, other_tenant.admin_id)}}, token=tenant.token)
    codes = {(e["code"], tuple(e["field"])) for e in bad["createEscalationRule"]["errors"]}
    assert codes == {("INVALID_TRIGGER", ("trigger",)), ("INVALID_CLOCK", ("clock",)),
                     ("UNKNOWN_PRIORITY", ("priorities", "0")), ("NOT_FOUND", ("teamId",)),
                     ("NOT_FOUND", ("reassignUserId",))}
    idle = await api.data(CREATE_RULE, {"i": {"name": "Idle"}}, token=tenant.token)
    assert [e["code"] for e in idle["createEscalationRule"]["errors"]] == ["NO_ACTION"]
    soon = await api.data(CREATE_RULE, {"i": {"name": "Soon", "trigger": "due_soon", "raisePriority": True}},
                          token=tenant.token)
    assert [e["code"] for e in soon["createEscalationRule"]["errors"]] == ["INVALID_MINUTES"]
    wrong_type = await api.data(CREATE_RULE, {"i": {"name": "T", "notify": True,
                                                    "teamId": to_global_id(UserType, tenant.admin_id)}},
                                token=tenant.token)
    assert [e["code"] for e in wrong_type["createEscalationRule"]["errors"]] == ["INVALID_ID"]
    assert await EscalationRule.filter(tenant_id=tenant.id).count() == 1

    breached = await api.data(UPDATE_RULE, {"i": {"id": rule["id"], "trigger": "breached", "reassignTeamId": None}},
                              token=tenant.token)
    assert breached["updateEscalationRule"]["rule"]["withinMinutes"] == 0
    assert breached["updateEscalationRule"]["rule"]["reassignTeam"] is None
    listed = await api.data(f"{{ escalationRules {{ {RULE_FIELDS} }} }}", token=other_tenant.token)
    assert listed["escalationRules"] == []
    foreign = await api.data(DELETE_RULE, {"i": {"id": rule["id"]}}, token=other_tenant.token)
    assert [e["code"] for e in foreign["deleteEscalationRule"]["errors"]] == ["NOT_FOUND"]
    assert (await api.data(DELETE_RULE, {"i": {"id": rule["id"]}}, token=tenant.token))[
        "deleteEscalationRule"]["errors"] == []
    assert not await EscalationRule.filter(tenant_id=tenant.id).exists()


async def test_sla_calendars_give_holidays_to_a_team_and_hours_to_the_default(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    team = await Team.create(tenant_id=tenant.id, name="Munich", timezone="Europe/Berlin", working_hours=OFFICE)
    tid = to_global_id(TeamType, team.id)
    data = await api.data(SET_CALENDAR, {"i": {"teamId": tid, "holidayCountry": "de", "holidaySubdivision": "BY"}},
                          token=tenant.token)
    assert data["setSlaCalendar"]["calendar"] == {"team": {"name": "Munich"}, "holidayCountry": "DE",
                                                  "holidaySubdivision": "BY", "workingHours": {}}
    cal = await calendar_for(tenant.id, team.id)
    assert cal.timezone == "Europe/Berlin" and cal.is_holiday(datetime(2026, 1, 6).date())  # Epiphany in Bavaria
    bad = await api.data(SET_CALENDAR, {"i": {"teamId": tid, "holidayCountry": "XX", "workingHours": OFFICE}},
                         token=tenant.token)
    assert {e["code"] for e in bad["setSlaCalendar"]["errors"]} == {"INVALID_COUNTRY", "HOURS_ON_TEAM"}
    sub = await api.data(SET_CALENDAR, {"i": {"holidayCountry": "DE", "holidaySubdivision": "ZZ"}},
                         token=tenant.token)
    assert [e["code"] for e in sub["setSlaCalendar"]["errors"]] == ["UNKNOWN_SUBDIVISION"]
    foreign = await api.data(SET_CALENDAR, {"i": {"teamId": tid, "holidayCountry": "ES"}}, token=other_tenant.token)
    assert [e["code"] for e in foreign["setSlaCalendar"]["errors"]] == ["NOT_FOUND"]
    hours = await api.data(SET_CALENDAR, {"i": {"holidayCountry": "ES", "workingHours": {"mon": [["25:00", "x"]]}}},
                           token=tenant.token)
    assert [e["code"] for e in hours["setSlaCalendar"]["errors"]] == ["INVALID_HOURS"]
    default = await api.data(SET_CALENDAR, {"i": {"holidayCountry": "ES", "workingHours": OFFICE}}, token=tenant.token)
    assert default["setSlaCalendar"]["calendar"]["team"] is None
    again = await api.data(SET_CALENDAR, {"i": {"holidayCountry": "FR", "workingHours": OFFICE}}, token=tenant.token)
    assert again["setSlaCalendar"]["errors"] == []
    assert await SlaCalendar.filter(tenant_id=tenant.id).count() == 2  # replaced, not added
    no_team = await calendar_for(tenant.id, None)
    assert (no_team.timezone, no_team.holiday_country) == ("UTC", "FR") and not no_team.always_open
    listed = await api.data("{ slaCalendars { holidayCountry } }", token=other_tenant.token)
    assert listed["slaCalendars"] == []


async def test_ticket_clocks_follow_replies_pauses_resolution_and_priority(api: Api, tenant: TenantFixture) -> None:
    await policy(api, tenant, name="Urgent", position=0, priorities=["urgent"], firstResponseMinutes=15,
                 nextResponseMinutes=10, resolutionMinutes=120)
    await policy(api, tenant, name="Standard", position=1, nextResponseMinutes=30, resolutionMinutes=480)
    ticket = await create(api, tenant, priority="normal")  # no team: the tenant's zone, around the clock
    gid = ticket["id"]
    sla = (await api.data(TICKET_SLA, {"id": gid}, token=tenant.token))["ticket"]
    row = await Ticket.get(id=pk(gid))
    assert near(sla["firstResponseDue"], row.created_at + timedelta(minutes=60), 2)
    assert near(sla["resolutionDue"], row.created_at + timedelta(minutes=480), 2)
    assert sla["nextSlaDue"] == sla["firstResponseDue"] and sla["slaState"] == "due_soon"  # within the hour
    assert row.sla_policy_id is not None and row.next_sla_due == when(sla["firstResponseDue"])

    await api.data(MESSAGE, {"i": {"ticketId": gid, "kind": "outbound", "body": "Looking into it."}},
                   token=tenant.token)
    sla = (await api.data(TICKET_SLA, {"id": gid}, token=tenant.token))["ticket"]
    assert sla["firstResponseDue"] is None and sla["nextSlaDue"] == sla["resolutionDue"]
    await api.data(MESSAGE, {"i": {"ticketId": gid, "kind": "inbound", "body": "Any news?"}}, token=tenant.token)
    sla = (await api.data(TICKET_SLA, {"id": gid}, token=tenant.token))["ticket"]
    assert near(sla["nextResponseDue"], datetime.now(UTC) + timedelta(minutes=30))
    assert sla["nextSlaDue"] == sla["nextResponseDue"]

    resolution = when(sla["resolutionDue"])
    await api.data(STATUS, {"i": {"ticketId": gid, "status": "pending_customer"}}, token=tenant.token)
    sla = (await api.data(TICKET_SLA, {"id": gid}, token=tenant.token))["ticket"]
    assert sla["nextSlaDue"] is None and sla["slaPausedAt"] is not None and sla["slaState"] == "paused"
    # Pretend the ticket waited 90 minutes on the customer: resuming pushes every deadline by 90.
    await Ticket.filter(id=pk(gid)).update(sla_paused_at=when(sla["slaPausedAt"]) - timedelta(minutes=90))
    next_response = when(sla["nextResponseDue"])
    await api.data(STATUS, {"i": {"ticketId": gid, "status": "open"}}, token=tenant.token)
    sla = (await api.data(TICKET_SLA, {"id": gid}, token=tenant.token))["ticket"]
    assert near(sla["resolutionDue"], resolution + timedelta(minutes=90), 2)
    assert near(sla["nextResponseDue"], next_response + timedelta(minutes=90), 2)
    assert sla["slaPausedAt"] is None and sla["nextSlaDue"] == sla["nextResponseDue"]

    resolution = when(sla["resolutionDue"])
    urgent = await api.data(UPDATE_TICKET, {"i": {"ticketId": gid, "priority": "urgent"}}, token=tenant.token)
    # 480 -> 120 minutes, the time used kept: the deadline moves 360 minutes earlier.
    assert near(urgent["updateTicket"]["ticket"]["resolutionDue"], resolution - timedelta(minutes=360), 2)
    await api.data(STATUS, {"i": {"ticketId": gid, "status": "resolved"}}, token=tenant.token)
    sla = (await api.data(TICKET_SLA, {"id": gid}, token=tenant.token))["ticket"]
    assert sla["nextSlaDue"] is None and sla["nextResponseDue"] is None and sla["resolutionDue"] is not None
    reopened = await api.data("""mutation($i: ReopenTicketInput!) { reopenTicket(input: $i) {
        ticket { nextSlaDue resolutionDue } errors { code } } }""", {"i": {"ticketId": gid}}, token=tenant.token)
    assert reopened["reopenTicket"]["ticket"]["nextSlaDue"] == reopened["reopenTicket"]["ticket"]["resolutionDue"]
    assert near(reopened["reopenTicket"]["ticket"]["resolutionDue"], when(sla["resolutionDue"]), 5)


async def test_a_team_ticket_runs_on_the_team_calendar(api: Api, tenant: TenantFixture) -> None:
    await policy(api, tenant, name="Office", resolutionMinutes=600)
    team = await Team.create(tenant_id=tenant.id, name="Berlin", timezone="Europe/Berlin", working_hours=OFFICE)
    await api.data(SET_CALENDAR, {"i": {"teamId": to_global_id(TeamType, team.id), "holidayCountry": "DE"}},
                   token=tenant.token)
    ticket = await create(api, tenant, teamId=to_global_id(TeamType, team.id))
    row = await Ticket.get(id=pk(ticket["id"]))
    cal = await calendar_for(tenant.id, team.id)
    assert row.first_response_due is not None
    assert abs(cal.minutes_between(row.created_at, row.first_response_due) - 60) < 0.2
    assert row.resolution_due is not None and abs(cal.minutes_between(row.created_at, row.resolution_due) - 600) < 0.2
    # Ten business hours never fit in one Berlin office day: the deadline lands on a later working day.
    local = row.resolution_due.astimezone(ZoneInfo(cal.timezone))
    assert local.weekday() < 5 and (9 <= local.hour < 18 or (local.hour, local.minute) == (18, 0))
    assert row.resolution_due.date() > row.created_at.date()
