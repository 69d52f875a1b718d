"""Which tickets an inbox shows, and in what order: the filter behind the `tickets` connection.

Every condition is a plain column comparison on the ticket (indexed where an inbox needs it:
status, assignee, customer, created_at, next_sla_due); text and tag look in their own tables
through a subquery, so a ticket is never listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from core.tenancy import scoped
from modules.aftersales.models import Ticket, TicketMessage, TicketTag
from modules.aftersales.models.ticket import PRIORITIES

MAX_TEXT = 200


@dataclass
class TicketFilter:
    statuses: list[str] | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    priorities: list[str] | None = None
    types: list[str] | None = None
    languages: list[str] | None = None
    channels: list[str] | None = None
    customer_id: int | None = None
    order_id: int | None = None
    sla_breached: bool | None = None
    sla_due_within_minutes: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    tag: str | None = None


# Ordering keys the ORM cannot sort by directly: the priority's rank (urgent highest) and the
# next SLA deadline with tickets that have none last (a far-future stand-in keeps the keyset
# cursor a plain comparison).
SORT_KEYS = {
    "priority": "priority_rank",
    "next_sla_due": "sla_due_order",
}
NO_DEADLINE = "9999-12-31 00:00:00+00:00"


def with_sort_keys(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # Only the module's own constants are spelled into the SQL.
    rank = RawSQL("CASE priority " + " ".join(f"WHEN '{p}' THEN {i}" for i, p in enumerate(PRIORITIES))
                  + " ELSE -1 END")
    due = RawSQL(f"COALESCE(next_sla_due, '{NO_DEADLINE}')")
    return qs.annotate(priority_rank=rank, sla_due_order=due)


def filter_tickets(tenant_id: int, f: TicketFilter, now: datetime) -> QuerySet[Ticket]:
    qs = scoped(Ticket, tenant_id)
    conditions: dict[str, Any] = {}
    if f.statuses:
        conditions["status__in"] = f.statuses
    if f.unassigned:
        conditions["assignee_id__isnull"] = True
    elif f.assignee_id is not None:
        conditions["assignee_id"] = f.assignee_id
    if f.team_id is not None:
        conditions["team_id"] = f.team_id
    if f.priorities:
        conditions["priority__in"] = f.priorities
    if f.types:
        conditions["type__in"] = f.types
    if f.languages:
        conditions["language__in"] = f.languages
    if f.channels:
        conditions["channel__in"] = f.channels
    if f.customer_id is not None:
        conditions["customer_id"] = f.customer_id
    if f.order_id is not None:
        conditions["order_id"] = f.order_id
    if f.sla_breached is not None:
        conditions["sla_breached"] = f.sla_breached
    if f.sla_due_within_minutes is not None:
        conditions["next_sla_due__lte"] = now + timedelta(minutes=f.sla_due_within_minutes)
    if f.created_from is not None:
        conditions["created_at__gte"] = f.created_from
    if f.created_to is not None:
        conditions["created_at__lt"] = f.created_to
    qs = qs.filter(**conditions)
    if f.text:
        text = f.text.strip()[:MAX_TEXT]
        in_messages = scoped(TicketMessage, tenant_id).filter(body__icontains=text).values("ticket_id")
        qs = qs.filter(Q(subject__icontains=text) | Q(id__in=Subquery(in_messages)))
    if f.tag:
        names = scoped(TicketTag, tenant_id).filter(name=f.tag.strip().lower()).values("ticket_id")
        qs = qs.filter(id__in=Subquery(names))
    return qs
