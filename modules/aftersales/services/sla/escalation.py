"""The SLA breach scan: marks breached tickets and fires the tenants' escalation rules.

It works only from the database (nothing to lose if Redis is flushed): one indexed range query
`next_sla_due <= now + the widest "due soon" window`, walked by keyset across tenants, then each
ticket in its own transaction under a row lock. A rule fires at most once per ticket and deadline:
the EscalationRecord's unique key (ticket, rule, clock, trigger, deadline) is checked before and
enforced by the database, so running the scan twice, or in two workers, changes nothing more.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import audit, events
from core.models import Membership
from core.tenancy import scoped
from modules.aftersales.models import EscalationRecord, EscalationRule, Ticket
from modules.aftersales.models.sla import CLOCKS
from modules.aftersales.models.ticket import PRIORITIES
from modules.aftersales.services import live
from modules.aftersales.services.sla import clocks as sla
from modules.aftersales.services.sla.escalation_rules import rules as tenant_rules
from modules.aftersales.services.tickets import lifecycle as tickets

BATCH = 500
NOTIFY_TOPIC = "aftersales.ticket_escalated"
log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    tickets: int = 0
    breached: int = 0
    escalations: int = 0


async def widest_window() -> timedelta:
    """The longest "due within" of any active rule: how far ahead the range query must look."""
    widest = await EscalationRule.filter(active=True, trigger="due_soon").order_by("-within_minutes").first()
    return timedelta(minutes=widest.within_minutes if widest else 0)


async def due_batch(horizon: datetime, after: tuple[datetime, int] | None, limit: int = BATCH) -> list[dict[str, Any]]:
    """The next tickets (all tenants) with a running deadline up to `horizon`, in deadline order."""
    query = Ticket.filter(next_sla_due__lte=horizon)
    if after is not None:  # the >= bound lets the index scan start at the cursor (an OR alone would not)
        query = query.filter(Q(next_sla_due__gte=after[0]), Q(next_sla_due__gt=after[0]) | Q(id__gt=after[1]))
    return await query.order_by("next_sla_due", "id").limit(limit).values("id", "tenant_id", "next_sla_due",
                                                                          "sla_breached")


async def scan(now: datetime) -> ScanResult:
    result = ScanResult()
    horizon = now + await widest_window()
    after: tuple[datetime, int] | None = None
    while True:
        rows = await due_batch(horizon, after)
        by_tenant: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_tenant[row["tenant_id"]].append(row)
        for tenant_id, due in by_tenant.items():
            await _scan_tenant(tenant_id, due, now, result)
        if len(rows) < BATCH:
            return result
        after = (rows[-1]["next_sla_due"], rows[-1]["id"])


async def _scan_tenant(tenant_id: int, due: Sequence[dict[str, Any]], now: datetime, result: ScanResult) -> None:
    rules = [r for r in await tenant_rules(tenant_id) if r.active]
    for row in due:
        if row["sla_breached"] and not rules:
            continue  # nothing left to do on it until a rule exists: no lock, no transaction
        async with in_transaction():
            ticket = await scoped(Ticket, tenant_id).filter(id=row["id"]).select_for_update().first()
            if ticket is None or ticket.next_sla_due is None:
                continue  # changed since the range query
            result.tickets += 1
            before = live.TicketPlace.of(ticket)
            breached, fired = await check_ticket(ticket, rules, now)
            result.breached += breached
            result.escalations += fired
        if breached or fired:
            await live.ticket_changed(ticket, "updated", before)


def _running(ticket: Ticket) -> list[tuple[str, datetime]]:
    dues = (ticket.first_response_due, ticket.next_response_due, ticket.resolution_due)
    return [(clock, due) for clock, due in zip(CLOCKS, dues, strict=True) if due is not None]


def _fires(rule: EscalationRule, ticket: Ticket, clock: str, due: datetime, now: datetime) -> bool:
    if rule.clock not in ("any", clock) or (rule.priorities and ticket.priority not in rule.priorities):
        return False
    if rule.team_id is not None and rule.team_id != ticket.team_id:
        return False
    if rule.trigger == "breached":
        return due <= now
    return now < due <= now + timedelta(minutes=rule.within_minutes)


async def check_ticket(ticket: Ticket, rules: Sequence[EscalationRule], now: datetime) -> tuple[int, int]:
    """Mark a breach and fire the rules due on one (locked) ticket; returns (newly breached, fired)."""
    running = _running(ticket)
    late = [clock for clock, due in running if due <= now]
    newly_breached = bool(late) and not ticket.sla_breached
    if newly_breached:
        ticket.sla_breached = True
        await tickets.event(None, ticket, "sla_breached", {"clocks": late})
        await audit.record(None, ticket.tenant_id, "ticket.sla_breach", "Ticket", ticket.id,
                           {"sla_breached": False}, {"sla_breached": True, "clocks": late}, via="sla_scan")
    done = {(r["rule_id"], r["clock"], r["trigger"], r["due_at"]) for r in
            await scoped(EscalationRecord, ticket.tenant_id).filter(ticket_id=ticket.id)
            .values("rule_id", "clock", "trigger", "due_at")}
    fired = 0
    for rule in rules:
        for clock, due in running:
            if (rule.id, clock, rule.trigger, due) in done or not _fires(rule, ticket, clock, due, now):
                continue
            await _escalate(ticket, rule, clock, due, now)
            done.add((rule.id, clock, rule.trigger, due))
            fired += 1
    if newly_breached or fired:
        await ticket.save()
    return int(newly_breached), fired


async def _escalate(ticket: Ticket, rule: EscalationRule, clock: str, due: datetime, now: datetime) -> None:
    """Apply one rule's actions to the ticket (unsaved) and record them: event, audit, outbox."""
    before = {"escalation_level": ticket.escalation_level, "assignee": ticket.assignee_id,
              "team": ticket.team_id, "priority": ticket.priority}
    ticket.escalation_level += 1
    actions: list[dict[str, Any]] = []
    if rule.reassign_team_id is not None and rule.reassign_team_id != ticket.team_id:
        await tickets.event(None, ticket, "team_changed", {"from": ticket.team_id, "to": rule.reassign_team_id})
        actions.append({"type": "reassign", "team": rule.reassign_team_id})
        ticket.team_id = rule.reassign_team_id
        await sla.refresh_clocks(ticket, "team_changed", now)
    if rule.reassign_user_id is not None and await Membership.filter(
            tenant_id=ticket.tenant_id, user_id=rule.reassign_user_id, is_active=True).exists() \
            and await tickets.set_assignee(None, ticket, rule.reassign_user_id):
        actions.append({"type": "reassign", "user": rule.reassign_user_id})
    if rule.raise_priority and ticket.priority != PRIORITIES[-1]:
        raised = PRIORITIES[PRIORITIES.index(ticket.priority) + 1] if ticket.priority in PRIORITIES else "high"
        actions.append({"type": "raise_priority", "from": ticket.priority, "to": raised})
        await tickets.set_priority(None, ticket, raised, now)
    data = {"rule": rule.name, "ruleId": rule.id, "clock": clock, "trigger": rule.trigger,
            "dueAt": due.isoformat(), "level": ticket.escalation_level, "actions": actions}
    if rule.notify:
        actions.append({"type": "notify"})
        await events.emit(NOTIFY_TOPIC, {"ticketId": ticket.id, "number": ticket.number,
                                         "assigneeId": ticket.assignee_id, "teamId": ticket.team_id, **data},
                          tenant_id=ticket.tenant_id)
    await EscalationRecord.create(tenant_id=ticket.tenant_id, ticket_id=ticket.id, rule_id=rule.id, rule_name=rule.name,
                                  clock=clock, trigger=rule.trigger, due_at=due, level=ticket.escalation_level,
                                  actions=actions)
    await tickets.event(None, ticket, "escalated", data)
    await audit.record(None, ticket.tenant_id, "ticket.escalate", "Ticket", ticket.id, before,
                       {"escalation_level": ticket.escalation_level, "assignee": ticket.assignee_id,
                        "team": ticket.team_id, "priority": ticket.priority, "rule": rule.name}, via="sla_scan")


async def ticket_escalations(tenant_id: int, ticket_id: int, limit: int = 200) -> list[EscalationRecord]:
    return await scoped(EscalationRecord, tenant_id).filter(ticket_id=ticket_id).order_by("created_at", "id") \
        .limit(limit)
