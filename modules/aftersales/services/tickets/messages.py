"""Messages on a ticket: the customer's (inbound), the agents' replies (outbound) and internal notes.

A reply starts the work (a new ticket opens) and stops the first-response clock; a customer's
message brings a ticket that waited on the customer, or was resolved, back to open. Every message
keeps the language it was written in (a reply from a German macro variant, or typed in German,
is `de` whatever the tenant's language). Machine translation runs before the transaction (a
provider may be slow), and only between different languages: inbound into the tenant's language
for the agents, outbound into the ticket's language for the customer. A reply is an outbox event
(`REPLY_ADDED`): whichever module delivers over the ticket's channel reacts to it, and may refuse
a free-form reply beforehand (`core.channels.check_reply`: WhatsApp's 24-hour window).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core import channels, events
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import Ticket, TicketMessage
from modules.aftersales.models.ticket import MESSAGE_KINDS
from modules.aftersales.services import language as detection
from modules.aftersales.services import live
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.sla import clocks as sla
from modules.aftersales.services.tickets.lifecycle import (
    MAX_ATTACHMENTS,
    Attachment,
    attachments,
    body,
    choice,
    get_ticket,
    language_tag,
    set_status,
    tenant_language,
    translated,
)

# Emitted with every reply, in its transaction: a channel module delivers it to the customer
# (aftersales does not know how; it only says that a reply is owed).
REPLY_ADDED = "aftersales.reply_added"


async def get_message(tenant_id: int, message_id: int) -> TicketMessage | None:
    return await scoped(TicketMessage, tenant_id).filter(id=message_id).first()


async def written_language(actor: Principal, ticket: Ticket, kind: str, text: str, given: str | None) -> str:
    """The language a message is written in: the one given (a macro variant's, or the client's),
    else the ticket's for the customer's message; an agent's reply is detected, and only when the
    detector is unsure is it taken to be the tenant's language (never English by assumption)."""
    if given:
        return given
    if kind == "inbound":
        return ticket.language
    return await detection.detect(text) or tenant_language(actor)


async def add_message(actor: Principal, ticket_id: int, kind: str, text: str,
                      files: Sequence[Attachment] = (), *, language: str | None = None,
                      publish: bool = True, free_form: bool = True) -> tuple[TicketMessage, Ticket]:
    """Store a message and move the ticket and its clocks. `language` is the one it is written in
    (a BCP 47 tag; see `written_language` when it is None). A reply is machine-translated into the
    ticket's language, and the customer's message into the tenant's, only when the languages
    differ. `publish=False` when the caller runs it inside its own transaction: a live update sent
    before that commits would show the old ticket. `free_form=False` for a reply that is a
    channel's pre-approved template, which the channel's rules for typed replies do not hold back."""
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    choice(errors, kind, MESSAGE_KINDS, ["kind"])
    text = body(errors, text)
    stored = attachments(errors, files)
    given = language_tag(errors, language) if language else None
    if errors:
        raise UserFacingErrors(errors)
    ticket = await get_ticket(tid, ticket_id)
    if ticket.status == "closed" and kind != "note":
        raise err("TICKET_CLOSED", N_("This ticket is closed: reopen it first."), ["ticketId"])
    if kind == "outbound" and free_form:
        await channels.check_reply(tid, ticket.id, ticket.channel)
    if kind == "note":
        source, translation, translated_language = "", None, None
    else:
        source = await written_language(actor, ticket, kind, text, given)
        target = tenant_language(actor) if kind == "inbound" else ticket.language
        translation, translated_language = await translated(tid, text, source, target)
    now = datetime.now(UTC)
    async with in_transaction():
        ticket = await get_ticket(tid, ticket_id, lock=True)
        before = live.TicketPlace.of(ticket)
        message = await TicketMessage.create(
            tenant_id=tid, ticket_id=ticket.id, kind=kind, author_id=None if kind == "inbound" else actor.user_id,
            body=text, language=source, translated_body=translation,
            translated_language=translated_language, attachments=stored)
        if kind != "note":
            ticket.last_message_at = now
        if kind == "outbound":
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            if ticket.status == "new":
                await set_status(actor, ticket, "open", now, ["kind"])
            await sla.refresh_clocks(ticket, "replied", now)
            await events.emit(REPLY_ADDED, {"ticket_id": ticket.id, "message_id": message.id,
                                            "channel": ticket.channel}, tid)
        elif kind == "inbound":
            if ticket.status in ("pending_customer", "resolved"):
                await set_status(actor, ticket, "open", now, ["kind"])
            await sla.refresh_clocks(ticket, "customer_replied", now)
        await ticket.save()
    if publish:
        await live.ticket_changed(ticket, "message_added", before)
    return message, ticket


async def first_message_id(tenant_id: int, ticket_id: int) -> int | None:
    """The id of a ticket's first message (what createTicket stored with it)."""
    row = await (scoped(TicketMessage, tenant_id).filter(ticket_id=ticket_id).order_by("id").first()
                 .values("id"))
    return int(row["id"]) if row else None


async def attach_files(tenant_id: int, message_id: int, files: Sequence[Attachment]) -> None:
    """Files that arrive after their message (a chat's media, downloaded by a worker) join it, up
    to the message's limit; checked as any attachment is."""
    errors: list[UserFacingError] = []
    stored = attachments(errors, files)
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        message = await scoped(TicketMessage, tenant_id).filter(id=message_id).select_for_update().first()
        if message is None:
            raise err("NOT_FOUND", N_("No such message."), ["messageId"])
        message.attachments = [*(message.attachments or []), *stored][:MAX_ATTACHMENTS]
        await message.save(update_fields=["attachments"])
