"""A customer's erasure reaches their tickets and returns (crm.customer.erased, in the worker).

A support conversation is personal data like an address: every message of the customer's
tickets (theirs, the agents' replies and internal notes, which quote them) loses its text, its
translation and its attachments (the stored files are deleted), the subject goes, and return
requests lose their notes and photos. The rows stay, with their numbers, times and states: the
figures (response times, return rates) are not personal and stay right. Idempotent: a second
run finds nothing left to erase.
"""

from __future__ import annotations

from typing import Any

from core import storage
from core.models import OutboxEvent
from core.tenancy import scoped
from modules.aftersales.models import ReturnLine, ReturnRequest, Ticket, TicketMessage

ERASED_TEXT = "[erased]"


async def ticket_ids_of(tenant_id: int, customer_ids: list[int]) -> list[int]:
    """The tickets of these customers (a public service: channels erases their raw messages)."""
    rows = await scoped(Ticket, tenant_id).filter(customer_id__in=customer_ids).values("id")
    return [int(row["id"]) for row in rows]


def _stored_keys(items: Any) -> list[str]:
    return [str(a["key"]) for a in items or [] if isinstance(a, dict) and a.get("key")]


async def erase_customer_tickets(event: OutboxEvent) -> None:
    tid = event.tenant_id
    assert tid is not None
    customer_ids = [int(i) for i in event.payload.get("customer_ids", [])]
    tickets = await ticket_ids_of(tid, customer_ids)
    if tickets:
        messages = scoped(TicketMessage, tid).filter(ticket_id__in=tickets)
        for attachments in await messages.values_list("attachments", flat=True):
            for key in _stored_keys(attachments):  # deleted first: a retry finds the keys again
                await storage.store().delete(key)
        await messages.update(body=ERASED_TEXT, translated_body=None, attachments=[])
        await scoped(Ticket, tid).filter(id__in=tickets).update(subject=ERASED_TEXT)
    returns = await (scoped(ReturnRequest, tid).filter(customer_id__in=customer_ids)
                     .values_list("id", flat=True))
    if returns:
        await scoped(ReturnRequest, tid).filter(id__in=list(returns)).update(note="")
        await scoped(ReturnLine, tid).filter(request_id__in=list(returns)).update(photos=[])
