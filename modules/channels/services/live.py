"""A reply's delivery moved (sent, failed, delivered, read, bounced): the ticket's live inboxes
hear it as `delivery_changed` on `ticketUpdated`, so the agent sees the state without reloading.
Told after the change commits (a worker's handler defers it: core.events.dispatch; the inbound
pipeline calls it after its own commit)."""

from __future__ import annotations

from collections.abc import Iterable

from core.errors import UserFacingError
from modules.aftersales.services import get_ticket, ticket_changed

DELIVERY_CHANGED = "delivery_changed"


async def delivery_changed(tenant_id: int, ticket_ids: Iterable[int]) -> None:
    for ticket_id in dict.fromkeys(ticket_ids):
        try:
            ticket = await get_ticket(tenant_id, ticket_id)
        except UserFacingError:  # gone meanwhile
            continue
        await ticket_changed(ticket, DELIVERY_CHANGED)
