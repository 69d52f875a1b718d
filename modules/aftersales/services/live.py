"""Live updates of tickets for subscriptions (live inboxes), in every API process.

The ticket services call `ticket_changed` after their transaction commits; it publishes the
ticket's id, the kind of change and, when it moved, where it was before (assignee, team and
status: ids and a status, never content) on the tenant's channel (core.pubsub). A subscriber
re-reads the ticket through its own tenant scope (`delivery`), so it can only ever see its own
tenant's tickets, as they are now; the previous place only tells a filtered inbox that a ticket
it showed has left it ("removed").
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from core import pubsub
from core.tenancy import scoped
from modules.aftersales.models import Ticket

TOPIC = "aftersales.ticket"
REMOVED = "removed"


@dataclass(frozen=True)
class TicketPlace:
    """Where a ticket sits in the inboxes: what subscription filters select on."""

    assignee_id: int | None
    team_id: int | None
    status: str

    @classmethod
    def of(cls, ticket: Ticket) -> TicketPlace:
        return cls(ticket.assignee_id, ticket.team_id, ticket.status)

    @classmethod
    def parse(cls, raw: Any) -> TicketPlace | None:
        """From a published message; None when it is not well-formed (then it is ignored)."""
        if not isinstance(raw, Mapping):
            return None
        assignee_id, team_id, status = raw.get("assignee_id"), raw.get("team_id"), raw.get("status")
        if not (_optional_id(assignee_id) and _optional_id(team_id) and isinstance(status, str)):
            return None
        return cls(assignee_id, team_id, status)


def _optional_id(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


@dataclass(frozen=True)
class TicketChange:
    ticket_id: int
    kind: str  # what the ticket services say happened: created, updated, status_changed, message_added
    before: TicketPlace | None = None  # where it was, when the change moved it


@dataclass(frozen=True)
class TicketWatch:
    """Which changed tickets a subscriber wants, by their state after the change."""

    assignee_id: int | None = None
    team_id: int | None = None
    status: str | None = None

    def selects(self, place: TicketPlace) -> bool:
        return ((self.assignee_id is None or place.assignee_id == self.assignee_id)
                and (self.team_id is None or place.team_id == self.team_id)
                and (self.status is None or place.status == self.status))


async def ticket_changed(ticket: Ticket, kind: str, before: TicketPlace | None = None) -> None:
    """Tell every subscribed inbox, in every process, that this ticket changed (best effort).
    `before`: where the ticket was when the change began, so inboxes it left can drop it."""
    message: dict[str, Any] = {"id": ticket.id, "kind": kind}
    if before is not None and before != TicketPlace.of(ticket):
        message["before"] = asdict(before)
    await pubsub.publish(ticket.tenant_id, TOPIC, message)


@contextlib.asynccontextmanager
async def ticket_changes(hub: pubsub.Hub, tenant_id: int) -> AsyncIterator[AsyncIterator[TicketChange]]:
    """The tenant's ticket changes from now on; messages that are not well-formed are skipped."""
    async with hub.subscribe(tenant_id, TOPIC) as listener:

        async def changes() -> AsyncIterator[TicketChange]:
            async for message in listener:
                ticket_id, kind = message.get("id"), message.get("kind")
                if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) and isinstance(kind, str):
                    yield TicketChange(ticket_id, kind, TicketPlace.parse(message.get("before")))

        yield changes()


async def delivery(tenant_id: int, change: TicketChange, watch: TicketWatch) -> tuple[str, Ticket] | None:
    """What a subscriber receives for a change (one query): the ticket as it is now with the kind
    of change when the watch selects it now; with `removed` when the watch selected it before the
    change but no longer does; None when it is not the tenant's or concerns this watch neither way."""
    ticket = await scoped(Ticket, tenant_id).filter(id=change.ticket_id).first()
    if ticket is None:
        return None
    if watch.selects(TicketPlace.of(ticket)):
        return change.kind, ticket
    if change.before is not None and watch.selects(change.before):
        return REMOVED, ticket
    return None
