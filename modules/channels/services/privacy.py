"""A customer's erasure reaches what the channels hold on them (crm.customer.erased, in the worker):
the raw messages of their tickets (the bytes as they came: addresses, text, attachments) are
emptied, and their conversations forget the address replies went to. Rows, states and provider
ids stay (a provider's retry is still recognised, and opens nothing). Idempotent.
"""

from __future__ import annotations

from core.models import OutboxEvent
from core.tenancy import scoped
from modules.aftersales.services import ticket_ids_of
from modules.channels.models import Conversation, InboundMessage


async def erase_customer_messages(event: OutboxEvent) -> None:
    tid = event.tenant_id
    assert tid is not None
    tickets = await ticket_ids_of(tid, [int(i) for i in event.payload.get("customer_ids", [])])
    if not tickets:
        return
    await scoped(InboundMessage, tid).filter(ticket_id__in=tickets).update(content="", size=0)
    await scoped(Conversation, tid).filter(ticket_id__in=tickets).update(address="", name="")
