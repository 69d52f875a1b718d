"""The aftersales.sla_scan cron job, called as arq calls it: breaches marked, escalation rules fired
once per ticket and deadline (run twice, nothing more happens), across tenants, from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.graphql.node import to_global_id
from core.models import AuditEntry, OutboxEvent
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.jobs import worker
from modules.aftersales.jobs.sla import SCAN_JOB, sla_scan
from modules.aftersales.models import EscalationRecord, Ticket, TicketEvent
from modules.team.graphql.types import TeamType, UserType
from modules.team.models import Team
from tests.conftest import Api, TenantFixture
from tests.modules.test_aftersales_sla import CREATE_RULE, policy
from tests.modules.test_aftersales_tickets import create, pk

ESCALATIONS = """query($id: ID!) { ticket(id: $id) { priority slaBreached escalationLevel team { name }
  escalations { ruleName clock trigger dueAt level actions } } }"""


async def rule(api: Api, t: TenantFixture, **values: Any) -> None:
    data = await api.data(CREATE_RULE, {"i": values}, token=t.token)
    assert data["createEscalationRule"]["errors"] == [], data


async def due(ticket_id: int, **deadlines: datetime | None) -> None:
    """Move a ticket's deadlines (as time passing would) and its next_sla_due with them."""
    row = await Ticket.get(id=ticket_id)
    for name, value in deadlines.items():
        setattr(row, name, value)
    running = [d for d in (row.first_response_due, row.next_response_due, row.resolution_due) if d is not None]
    row.next_sla_due = min(running, default=None)
    await row.save()


async def snapshot(ticket_id: int) -> tuple[Any, ...]:
    row = await Ticket.get(id=ticket_id)
    return (row.priority, row.sla_breached, row.escalation_level, row.team_id, row.assignee_id,
            await EscalationRecord.filter(ticket_id=ticket_id).count(),
            await TicketEvent.filter(ticket_id=ticket_id).count())


async def test_the_scan_marks_breaches_and_fires_each_rule_once(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    assert any(c.name == SCAN_JOB for c in worker.cron_jobs)
    await policy(api, tenant, name="Standard", resolutionMinutes=480)
    await policy(api, other_tenant, name="Standard", resolutionMinutes=480)
    tier2 = await Team.create(tenant_id=tenant.id, name="Tier 2")
    await rule(api, tenant, name="Breached: raise and tell", notify=True, raisePriority=True)
    await rule(api, tenant, name="Resolution soon: tier 2", trigger="due_soon", withinMinutes=45, clock="resolution",
               reassignTeamId=to_global_id(TeamType, tier2.id),
               reassignUserId=to_global_id(UserType, tenant.admin_id))
    await rule(api, tenant, name="Urgent only", priorities=["urgent"], notify=True)
    now = datetime.now(UTC)
    late = pk((await create(api, tenant, priority="normal"))["id"])
    soon = pk((await create(api, tenant, priority="low"))["id"])
    calm = pk((await create(api, tenant, priority="normal"))["id"])
    theirs = pk((await create(api, other_tenant, priority="normal"))["id"])
    await due(late, first_response_due=now - timedelta(minutes=5), resolution_due=now + timedelta(hours=5))
    await due(soon, first_response_due=None, resolution_due=now + timedelta(minutes=20))
    await due(theirs, first_response_due=now - timedelta(minutes=1))
    calm_before = await snapshot(calm)
    outbox_before = await OutboxEvent.filter(tenant_id=tenant.id, topic="aftersales.ticket_escalated").count()

    result = await sla_scan({"rt": rt})
    assert result["tickets"] >= 3 and result["breached"] >= 2 and result["escalations"] >= 2

    late_row = await Ticket.get(id=late)
    assert late_row.sla_breached and late_row.priority == "high" and late_row.escalation_level == 1
    records = await EscalationRecord.filter(ticket_id=late)
    assert [(r.rule_name, r.clock, r.trigger, r.level) for r in records] == [
        ("Breached: raise and tell", "first_response", "breached", 1)]
    assert records[0].actions == [{"type": "raise_priority", "from": "normal", "to": "high"}, {"type": "notify"}]
    outbox = await OutboxEvent.filter(tenant_id=tenant.id, topic="aftersales.ticket_escalated")
    assert len(outbox) == outbox_before + 1
    assert next(e for e in outbox if e.payload["ticketId"] == late).payload["clock"] == "first_response"
    kinds = await TicketEvent.filter(ticket_id=late).order_by("id").values_list("kind", flat=True)
    assert kinds[-3:] == ["sla_breached", "priority_changed", "escalated"]
    assert await AuditEntry.filter(tenant_id=tenant.id, action="ticket.escalate", object_id=str(late)).count() == 1

    soon_row = await Ticket.get(id=soon)
    assert not soon_row.sla_breached and soon_row.team_id == tier2.id and soon_row.assignee_id == tenant.admin_id
    assert soon_row.priority == "low" and soon_row.escalation_level == 1
    assert await EscalationRecord.filter(ticket_id=soon).values_list("rule_name", flat=True) == [
        "Resolution soon: tier 2"]
    assert await snapshot(calm) == calm_before  # its deadlines are hours away

    theirs_row = await Ticket.get(id=theirs)
    assert theirs_row.sla_breached and theirs_row.escalation_level == 0  # no rules in that tenant
    assert await TicketEvent.filter(ticket_id=theirs, kind="sla_breached").count() == 1

    after_first = [await snapshot(t) for t in (late, soon, calm, theirs)]
    await sla_scan({"rt": rt})
    assert [await snapshot(t) for t in (late, soon, calm, theirs)] == after_first
    assert await OutboxEvent.filter(tenant_id=tenant.id, topic="aftersales.ticket_escalated").count() == \
        outbox_before + 1

    # The escalations are on the ticket over the API, and only for its own tenant.
    seen = (await api.data(ESCALATIONS, {"id": to_global_id(TicketType, late)}, token=tenant.token))["ticket"]
    assert seen["priority"] == "high" and seen["slaBreached"] and seen["escalationLevel"] == 1
    assert [(e["ruleName"], e["level"]) for e in seen["escalations"]] == [("Breached: raise and tell", 1)]
    assert (await api.data(ESCALATIONS, {"id": to_global_id(TicketType, late)}, token=other_tenant.token))[
        "ticket"] is None

    # A new deadline is a new breach: the same rule fires again, once.
    await due(late, first_response_due=None, next_response_due=datetime.now(UTC) - timedelta(minutes=1))
    await sla_scan({"rt": rt})
    await sla_scan({"rt": rt})
    late_row = await Ticket.get(id=late)
    assert late_row.priority == "urgent" and late_row.escalation_level == 3  # raise + "Urgent only"
    assert sorted(await EscalationRecord.filter(ticket_id=late).values_list("rule_name", flat=True)) == [
        "Breached: raise and tell", "Breached: raise and tell", "Urgent only"]


async def test_paused_and_resolved_tickets_are_not_scanned(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await policy(api, tenant, name="Standard", resolutionMinutes=60)
    await rule(api, tenant, name="Any breach", notify=True)
    ticket = await create(api, tenant)
    past = datetime.now(UTC) - timedelta(hours=1)
    await due(pk(ticket["id"]), first_response_due=past, resolution_due=past)
    await Ticket.filter(id=pk(ticket["id"])).update(status="pending_customer", sla_paused_at=past, next_sla_due=None)
    await sla_scan({"rt": rt})
    row = await Ticket.get(id=pk(ticket["id"]))
    assert not row.sla_breached and not await EscalationRecord.filter(ticket_id=row.id).exists()
