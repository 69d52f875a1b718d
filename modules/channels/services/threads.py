"""Which ticket an inbound message belongs to: by the Message-IDs it answers, then by a `[#1234]`
token in its subject, then by the channel's conversation id (a chat's user: the open ticket of
the same conversation on the same account), else none (a new ticket).

A ticket token alone is something anyone can type, so it threads only a message from the
ticket's own customer; Message-IDs are the thread's own (ours or the customer's earlier mails).
A closed ticket takes no more messages: the customer's mail then opens a new one.
"""

from __future__ import annotations

import re

from core.channels import Inbound
from core.crypto import cipher
from core.errors import UserFacingError
from core.tenancy import scoped
from modules.aftersales.services import find_by_number, get_ticket
from modules.channels.models import Conversation, Delivery, InboundMessage

TICKET_TOKEN = re.compile(r"\[#(\d{1,9})\]")


async def by_provider_ids(tenant_id: int, ids: tuple[str, ...]) -> int | None:
    """The ticket of the newest of these ids that the tenant sent or received."""
    if not ids:
        return None
    found: dict[str, int] = {}
    for model in (InboundMessage, Delivery):
        rows = await (scoped(model, tenant_id).filter(provider_id__in=list(ids), ticket_id__not_isnull=True)
                      .values_list("provider_id", "ticket_id"))
        found.update({str(pid): int(tid) for pid, tid in rows})
    for provider_id in reversed(ids):  # References list the oldest first, In-Reply-To last
        if provider_id in found:
            return found[provider_id]
    return None


def conversation_key(conversation_id: str | None) -> str | None:
    """The keyed hash a conversation is found by (its id may be contact data: a phone number)."""
    return cipher().blind_index(f"conversation:{conversation_id}") if conversation_id else None


async def _open(tenant_id: int, ticket_id: int) -> int | None:
    try:
        ticket = await get_ticket(tenant_id, ticket_id)
    except UserFacingError:  # gone meanwhile
        return None
    return None if ticket.status == "closed" else ticket.id


async def by_conversation(tenant_id: int, account_id: int, conversation_id: str | None) -> int | None:
    """The newest ticket of this conversation on this account, while it is open."""
    key = conversation_key(conversation_id)
    if key is None:
        return None
    conversation = await (scoped(Conversation, tenant_id).filter(account_id=account_id, key=key)
                          .order_by("-id").first())
    return await _open(tenant_id, conversation.ticket_id) if conversation is not None else None


async def find_ticket(tenant_id: int, account_id: int, message: Inbound, customer_id: int | None) -> int | None:
    ticket_id = await by_provider_ids(tenant_id, message.thread_ids)
    if ticket_id is None:
        match = TICKET_TOKEN.search(message.subject)
        ticket = await find_by_number(tenant_id, int(match.group(1))) if match else None
        if ticket is not None and customer_id is not None and ticket.customer_id == customer_id:
            ticket_id = ticket.id
    found = await _open(tenant_id, ticket_id) if ticket_id is not None else None
    return found if found is not None else await by_conversation(tenant_id, account_id, message.conversation_id)


def thread_subject(subject: str, number: int) -> str:
    """The reply's subject: the ticket's, with its token, so a reply from any client threads back."""
    token = f"[#{number}]"
    base = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    return base if token in base else f"{base} {token}"
