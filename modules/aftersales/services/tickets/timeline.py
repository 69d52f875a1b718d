"""The customer's tickets on crm's timeline: opened and resolved. crm never imports aftersales:
this module registers itself as the timeline source "aftersales.tickets" when it is imported."""

from __future__ import annotations

from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import Ticket
from modules.crm.services.timeline import TimelineCursor, TimelineEvent, after_cursor, register_timeline_source

EVENTS = (
    ("aftersales.ticket_opened", "created_at", N_("Ticket #{number} opened")),
    ("aftersales.ticket_resolved", "resolved_at", N_("Ticket #{number} resolved")),
)


async def ticket_events(tenant_id: int, customer_id: int, after: TimelineCursor | None, limit: int
                        ) -> list[TimelineEvent]:
    events = []
    for kind, at_field, summary in EVENTS:
        qs = after_cursor(scoped(Ticket, tenant_id).filter(customer_id=customer_id), at_field, kind, after)
        for row in await qs.limit(limit).values("id", "number", at_field):
            events.append(TimelineEvent(row[at_field], kind, row["id"], summary, domain="aftersales",
                                        params={"number": row["number"]},
                                        ref_type="Ticket", ref_id=row["id"]))
    return events


register_timeline_source("aftersales.tickets", ticket_events, permission=("aftersales.ticket", "read"))
