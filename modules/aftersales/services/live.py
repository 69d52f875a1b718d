"""Live updates of tickets for subscriptions (live inboxes), in every API process.

The ticket services call `ticket_changed` after their transaction commits; it publishes the
ticket's id and the kind of change on the tenant's channel (core.pubsub), never its content.
A subscriber re-reads the ticket through its own tenant scope (`visible_ticket`), so it can only
ever see its own tenant's tickets, as they are now.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from core import pubsub
from core.tenancy import scoped
from modules.aftersales.models import Ticket

TOPIC = "aftersales.ticket"


@dataclass(frozen=True)
class TicketChange:
    ticket_id: int
    kind: str  # what the ticket services say happened: created, updated, status_changed, message_added


@dataclass(frozen=True)
class TicketWatch:
    """Which changed tickets a subscriber wants, by their state after the change."""

    assignee_id: int | None = None
    team_id: int | None = None
    status: str | None = None


async def ticket_changed(ticket: Ticket, kind: str) -> None:
    """Tell every subscribed inbox, in every process, that this ticket changed (best effort)."""
    await pubsub.publish(ticket.tenant_id, TOPIC, {"id": ticket.id, "kind": kind})


@contextlib.asynccontextmanager
async def ticket_changes(hub: pubsub.Hub, tenant_id: int) -> AsyncIterator[AsyncIterator[TicketChange]]:
    """The tenant's ticket changes from now on; messages that are not well-formed are skipped."""
    async with hub.subscribe(tenant_id, TOPIC) as listener:

        async def changes() -> AsyncIterator[TicketChange]:
            async for message in listener:
                ticket_id, kind = message.get("id"), message.get("kind")
                if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) and isinstance(kind, str):
                    yield TicketChange(ticket_id, kind)

        yield changes()


async def visible_ticket(tenant_id: int, ticket_id: int, watch: TicketWatch) -> Ticket | None:
    """The ticket as it is now when it is the tenant's and matches the watch, else None."""
    query = scoped(Ticket, tenant_id).filter(id=ticket_id)
    if watch.assignee_id is not None:
        query = query.filter(assignee_id=watch.assignee_id)
    if watch.team_id is not None:
        query = query.filter(team_id=watch.team_id)
    if watch.status is not None:
        query = query.filter(status=watch.status)
    return await query.first()
