"""SLA clocks on tickets.

`refresh_clocks` is called by the ticket services inside their transaction, after every change
that can start, pause, resume or stop a clock; it only sets the ticket's SLA fields, the caller
saves the ticket. The rules themselves are `advance`, a pure function of the clocks, the event,
the targets and the calendar, so they are tested without a database.

- created: the matching policy's first-response and resolution clocks start;
- replied (agent): the first response is met, a running next-response clock stops;
- customer_replied: the next-response clock starts (unless one already runs, or the first
  response is still awaited);
- pending_customer: every clock pauses (`sla_paused_at`); leaving it resumes them, each deadline
  pushed by the business time paused;
- resolved / closed: the clocks stop: the response clocks end, the resolution deadline is kept
  paused so that a reopen resumes it with its elapsed time;
- priority or team change: the new policy's targets replace the old ones, keeping the business
  time already used (measured in the ticket's current calendar).
`next_sla_due` is the earliest running deadline, NULL while paused, stopped or without clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from core.tenancy import scoped
from modules.aftersales.models import SlaPolicy, Ticket
from modules.aftersales.services.business_hours import Calendar, calendar_for
from modules.aftersales.services.sla.policies import policy_for

ClockEvent = Literal["created", "status_changed", "priority_changed", "replied", "customer_replied",
                     "team_changed"]
STOPPED = ("resolved", "closed")
PAUSED = ("pending_customer",)


@dataclass(frozen=True)
class Targets:
    """A policy's targets in business minutes (None: that clock does not run)."""

    first_response: int | None = None
    next_response: int | None = None
    resolution: int | None = None

    @classmethod
    def of(cls, policy: SlaPolicy | None) -> Targets | None:
        if policy is None:
            return None
        return cls(policy.first_response_minutes, policy.next_response_minutes, policy.resolution_minutes)


@dataclass(frozen=True)
class Clocks:
    first_response_due: datetime | None = None
    next_response_due: datetime | None = None
    resolution_due: datetime | None = None
    paused_at: datetime | None = None

    def running(self) -> list[datetime]:
        return [d for d in (self.first_response_due, self.next_response_due, self.resolution_due) if d is not None]


@dataclass(frozen=True)
class TicketState:
    """What the rules read from a ticket besides its clocks."""

    status: str
    created_at: datetime
    first_response_at: datetime | None


def _retarget(cal: Calendar, due: datetime | None, old: int | None, new: int | None, ref: datetime,
              start_from: datetime | None) -> datetime | None:
    """One clock under a new target, keeping the business time used: a running clock moves by the
    difference of the targets (possibly into the past: a breach now); a clock that did not run starts
    from `start_from` (None: stays off). A deadline already passed stays: the breach happened, and
    its escalations fire once."""
    if new is None:
        return None
    if due is None or old is None:
        return None if start_from is None else cal.add_minutes(start_from, new)
    if due <= ref:
        return due
    return cal.add(ref, cal.between(ref, due) + timedelta(minutes=new - old))


def advance(clocks: Clocks, event: ClockEvent, ticket: TicketState, old: Targets | None, new: Targets | None,
            cal: Calendar, now: datetime) -> Clocks:
    """The clocks after `event` (`ticket` already shows the change); `old` are the targets the clocks
    were computed with, `new` those of the policy matching the ticket now."""
    ref = clocks.paused_at or now  # while paused, business time stands still at the pause
    if event == "created":
        if new is None:
            return Clocks()
        clocks = Clocks(
            first_response_due=None if new.first_response is None or ticket.first_response_at
            else cal.add_minutes(now, new.first_response),
            resolution_due=None if new.resolution is None else cal.add_minutes(now, new.resolution))
        event = "status_changed"  # a ticket may be created already waiting on the customer
    if event == "replied":
        return replace(clocks, first_response_due=None, next_response_due=None)
    if event == "customer_replied":
        if new is None or new.next_response is None or clocks.first_response_due or clocks.next_response_due \
                or ticket.status in STOPPED:
            return clocks
        return replace(clocks, next_response_due=cal.add_minutes(ref, new.next_response))
    if event == "priority_changed" and old == new:
        return clocks  # same targets, same calendar: nothing moves
    if event in ("priority_changed", "team_changed"):
        awaiting_reply = ticket.first_response_at is None and ticket.status not in STOPPED
        before = old or Targets()
        after = new or Targets()
        return replace(
            clocks,
            first_response_due=_retarget(cal, clocks.first_response_due, before.first_response,
                                         after.first_response, ref, ticket.created_at if awaiting_reply else None),
            next_response_due=_retarget(cal, clocks.next_response_due, before.next_response, after.next_response,
                                        ref, None),
            resolution_due=_retarget(cal, clocks.resolution_due, before.resolution, after.resolution, ref,
                                     ticket.created_at))
    # status_changed
    if ticket.status in STOPPED:
        return replace(clocks, first_response_due=None, next_response_due=None, paused_at=ref)
    if ticket.status in PAUSED:
        return replace(clocks, paused_at=ref)
    if clocks.paused_at is None:
        return clocks
    paused = cal.between(clocks.paused_at, now)
    return Clocks(*(None if due is None else cal.add(due, paused) for due in
                    (clocks.first_response_due, clocks.next_response_due, clocks.resolution_due)))


def next_due(clocks: Clocks, status: str) -> datetime | None:
    """The earliest running deadline: what the breach scan's indexed range query looks at."""
    if clocks.paused_at is not None or status in STOPPED or status in PAUSED:
        return None
    return min(clocks.running(), default=None)


async def refresh_clocks(ticket: Ticket, event: ClockEvent, now: datetime) -> None:
    """Set first_response_due, next_response_due, resolution_due, next_sla_due and sla_paused_at."""
    policy = await policy_for(ticket)
    old: Targets | None = None
    if event in ("priority_changed", "team_changed") and ticket.sla_policy_id is not None:
        previous = policy if policy is not None and policy.id == ticket.sla_policy_id else \
            await scoped(SlaPolicy, ticket.tenant_id).filter(id=ticket.sla_policy_id).first()
        old = Targets.of(previous) or Targets.of(policy)  # a deleted policy: assume the targets were the same
    state = TicketState(ticket.status, ticket.created_at or now, ticket.first_response_at)
    clocks = Clocks(ticket.first_response_due, ticket.next_response_due, ticket.resolution_due, ticket.sla_paused_at)
    cal = await calendar_for(ticket.tenant_id, ticket.team_id)
    clocks = advance(clocks, event, state, old, Targets.of(policy), cal, now)
    if event in ("created", "priority_changed", "team_changed"):
        ticket.sla_policy_id = policy.id if policy else None
    ticket.first_response_due = clocks.first_response_due
    ticket.next_response_due = clocks.next_response_due
    ticket.resolution_due = clocks.resolution_due
    ticket.sla_paused_at = clocks.paused_at
    ticket.next_sla_due = next_due(clocks, ticket.status)
