"""Messages on a ticket: the customer's (inbound), the agents' replies (outbound) and internal notes.

A reply starts the work (a new ticket opens) and stops the first-response clock; a customer's
message brings a ticket that waited on the customer, or was resolved, back to open. Machine
translation runs before the transaction (a provider may be slow): inbound into the tenant's
language for the agents, outbound into the ticket's language for the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from modules.aftersales.models import Ticket, TicketMessage
from modules.aftersales.models.ticket import MESSAGE_KINDS
from modules.aftersales.services import live
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.sla import clocks as sla
from modules.aftersales.services.tickets.lifecycle import (
    Attachment,
    attachments,
    body,
    choice,
    get_ticket,
    set_status,
    tenant_language,
    translated,
)


async def add_message(actor: Principal, ticket_id: int, kind: str, text: str,
                      files: Sequence[Attachment] = (), *, publish: bool = True) -> tuple[TicketMessage, Ticket]:
    """Store a message and move the ticket and its clocks. `publish=False` when the caller runs it
    inside its own transaction: a live update sent before that commits would show the old ticket."""
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    choice(errors, kind, MESSAGE_KINDS, ["kind"])
    text = body(errors, text)
    stored = attachments(errors, files)
    if errors:
        raise UserFacingErrors(errors)
    ticket = await get_ticket(tid, ticket_id)
    if ticket.status == "closed" and kind != "note":
        raise err("TICKET_CLOSED", N_("This ticket is closed: reopen it first."), ["ticketId"])
    home = tenant_language(actor)
    source, target = (ticket.language, home) if kind == "inbound" else (home, ticket.language)
    translation, translated_language = (None, None) if kind == "note" else await translated(tid, text, source, target)
    now = datetime.now(UTC)
    async with in_transaction():
        ticket = await get_ticket(tid, ticket_id, lock=True)
        before = live.TicketPlace.of(ticket)
        message = await TicketMessage.create(
            tenant_id=tid, ticket_id=ticket.id, kind=kind, author_id=None if kind == "inbound" else actor.user_id,
            body=text, language=source if kind != "note" else "", translated_body=translation,
            translated_language=translated_language, attachments=stored)
        if kind != "note":
            ticket.last_message_at = now
        if kind == "outbound":
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            if ticket.status == "new":
                await set_status(actor, ticket, "open", now, ["kind"])
            await sla.refresh_clocks(ticket, "replied", now)
        elif kind == "inbound":
            if ticket.status in ("pending_customer", "resolved"):
                await set_status(actor, ticket, "open", now, ["kind"])
            await sla.refresh_clocks(ticket, "customer_replied", now)
        await ticket.save()
    if publish:
        await live.ticket_changed(ticket, "message_added", before)
    return message, ticket
