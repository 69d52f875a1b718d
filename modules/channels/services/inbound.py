"""The inbound pipeline: store the raw message, parse, dedupe, thread, match the sender, then the
ticket or the reply through aftersales' own services (language, priority, routing, SLA).

Nothing that arrives is lost: the raw bytes are committed before parsing; a message that cannot
be parsed, or whose processing fails, keeps its row with an error code for admins. A provider's
retry is recognised by the message's id (Message-ID, wamid), unique per account: it creates
nothing twice. Automated mail (auto-replies, lists, bounces), delivery receipts and loops
(services.loops) are kept as ignored; a bounce or a receipt moves the delivery of the reply it is
about.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import events
from core.auth.principal import Principal
from core.channels import ChannelKind, Inbound, ParseError
from core.errors import UserFacingError, UserFacingErrors
from core.models import Tenant
from core.tenancy import scoped
from modules.aftersales.services import (
    NewTicket,
    TicketPlace,
    add_message,
    create_ticket,
    first_message_id,
    get_ticket,
    ticket_changed,
)
from modules.channels.models import ChannelAccount, Conversation, Delivery, InboundMessage
from modules.channels.services import attachments
from modules.channels.services.accounts import kind_of
from modules.channels.services.live import delivery_changed
from modules.channels.services.loops import loop_reason
from modules.channels.services.media import FETCH_MEDIA
from modules.channels.services.receipts import apply_receipts
from modules.channels.services.threads import conversation_key, find_ticket
from modules.crm import services as crm

if TYPE_CHECKING:
    from modules.aftersales.models import Ticket

log = logging.getLogger(__name__)
MAX_SUBJECT = 255
MAX_BODY = 100_000
NO_SUBJECT = "(no subject)"
NO_TEXT = "(no text)"


@dataclass(frozen=True)
class Outcome:
    """status: ticket_created, threaded, ignored, failed or duplicate (a retry of `inbound_id`)."""

    status: str
    inbound_id: int
    ticket_id: int | None = None
    reason: str | None = None  # why it was ignored (unknown_sender, auto_reply, loop...)


async def system_actor(tenant_id: int) -> Principal:
    tenant = await Tenant.get(id=tenant_id)
    return Principal.system(tenant_id, "channel", tenant.default_locale)


async def _customer(actor: Principal, message: Inbound, account: ChannelAccount) -> int | None:
    """The customer the sender's address (e-mail or phone) belongs to, else a new one with it;
    None on an account that takes known customers only."""
    found = await crm.find_by_contact(actor.tenant_id, message.sender_type, message.sender)
    if found is not None or account.accept_from == "known_customers":
        return found
    first, _, last = message.sender_name.strip().partition(" ")
    contact: dict[str, Any] = {f"{message.sender_type}s": [message.sender]}  # emails=[...] or phones=[...]
    customer = await crm.create_customer(actor, crm.CustomerData(
        first_name=first[:100], last_name=last.strip()[:100], **contact))
    return customer.id


async def _bounce(tenant_id: int, message: Inbound) -> list[int]:
    """Mark the replies (and notifications) a bounce is about; the replies' tickets."""
    if not message.bounced_ids:
        return []
    bounced = scoped(Delivery, tenant_id).filter(provider_id__in=list(message.bounced_ids))
    tickets = [int(row["ticket_id"]) for row in await bounced.values("ticket_id") if row["ticket_id"] is not None]
    await bounced.update(state="bounced", error="bounced")
    return tickets


@dataclass(frozen=True)
class _Done:
    status: str
    ticket: Ticket | None = None
    before: TicketPlace | None = None  # where a threaded ticket was, for the live update
    reason: str | None = None  # why it was ignored: auto_reply, list, bounce, own_message, loop
    message_id: int | None = None  # the ticket message it became
    deliveries_moved: tuple[int, ...] = ()  # tickets whose replies a bounce or receipt moved


async def _process(actor: Principal, account: ChannelAccount, kind: ChannelKind, message: Inbound,
                   kept: list[str]) -> _Done:
    if message.automated:
        moved = await _bounce(actor.tenant_id, message) if message.automated == "bounce" else []
        moved += await apply_receipts(actor.tenant_id, account.id, message.receipts)
        return _Done("ignored", reason=message.automated, deliveries_moved=tuple(moved))
    if (loop := await loop_reason(account, kind, message)) is not None:
        return _Done("ignored", reason=loop)
    customer_id = await _customer(actor, message, account)
    if customer_id is None:  # kept for admins; nobody is created, nothing is answered
        return _Done("ignored", reason="unknown_sender")
    body = message.body[:MAX_BODY].strip() or NO_TEXT
    files = await attachments.keep(actor.tenant_id, message.files, kept)
    ticket_id = await find_ticket(actor.tenant_id, account.id, message, customer_id)
    if ticket_id is not None:
        before = TicketPlace.of(await get_ticket(actor.tenant_id, ticket_id))
        added, ticket = await add_message(actor, ticket_id, "inbound", body, files, publish=False)
        return _Done("threaded", ticket, before, message_id=added.id)
    # The number the sender named (a form's field), else those quoted in the subject and body.
    numbers = [message.order_number] if message.order_number else crm.order_numbers_in(
        message.subject, body, formats=await crm.tenant_formats(actor.tenant_id))
    order_id = await crm.find_customer_order(actor.tenant_id, customer_id, *numbers) if numbers else None
    ticket = await create_ticket(actor, NewTicket(
        type="inquiry", channel=kind.ticket_channel, subject=message.subject[:MAX_SUBJECT].strip() or NO_SUBJECT,
        body=body, customer_id=customer_id, order_id=order_id, language=message.language, attachments=files))
    await Conversation.create(tenant_id=actor.tenant_id, ticket_id=ticket.id, account_id=account.id,
                              address=message.sender, name=message.sender_name[:200],
                              key=conversation_key(message.conversation_id))
    # (the message id is looked up only for what needs it: media to attach once downloaded)
    wants_id = bool(message.media) and kind.fetch_media is not None
    return _Done("ticket_created", ticket,
                 message_id=await first_message_id(actor.tenant_id, ticket.id) if wants_id else None)


def _error_code(exc: Exception) -> str:
    if isinstance(exc, UserFacingErrors) and exc.errors:
        return exc.errors[0].code.lower()[:64]
    if isinstance(exc, UserFacingError):
        return exc.code.lower()[:64]
    return f"error_{type(exc).__name__}"[:64]


async def _store(account: ChannelAccount, raw: bytes) -> InboundMessage:
    return await InboundMessage.create(tenant_id=account.tenant_id, account_id=account.id, size=len(raw),
                                       content=base64.b64encode(raw).decode("ascii"))


async def _duplicate(row: InboundMessage, account: ChannelAccount, provider_id: str | None) -> Outcome | None:
    first = await (scoped(InboundMessage, account.tenant_id).filter(account_id=account.id, provider_id=provider_id)
                   .first()) if provider_id else None
    if first is None:
        return None
    await InboundMessage.filter(id=row.id).delete()  # its twin holds the same bytes
    return Outcome("duplicate", first.id, first.ticket_id)


async def receive(account: ChannelAccount, raw: bytes, *, fallback_id: str | None = None) -> Outcome:
    """Store, then process one raw message of `account`. Logs ids and codes only. `fallback_id`
    dedupes a message that carries no id of its own (IMAP: a hash of its bytes), an unparsable
    one included, so that reading a folder again adds nothing."""
    tid = account.tenant_id
    row = await _store(account, raw)
    kind = kind_of(account.kind)
    try:
        message = kind.parse(raw)
    except ParseError as exc:
        return await _not_parsed(row, account, exc.code, fallback_id)
    provider_id = (message.provider_id or fallback_id or "")[:255] or None
    actor = await system_actor(tid)
    kept: list[str] = []  # files stored for this message: forgotten again unless it commits
    try:
        async with in_transaction():
            if provider_id:
                await InboundMessage.filter(id=row.id).update(provider_id=provider_id)
            done = await _process(actor, account, kind, message, kept)
            ticket_id = done.ticket.id if done.ticket else None
            await InboundMessage.filter(id=row.id).update(
                status=done.status, ticket_id=ticket_id, error=done.reason)
            if message.media and kind.fetch_media is not None and done.message_id is not None:
                await events.emit(FETCH_MEDIA, {"inbound_id": row.id, "message_id": done.message_id}, tid)
    except IntegrityError:
        await attachments.discard(kept)
        if (twin := await _duplicate(row, account, provider_id)) is not None:
            return twin
        return await _failed(row, account, IntegrityError())
    except Exception as exc:  # noqa: BLE001 - kept with its code for admins, never lost
        await attachments.discard(kept)
        return await _failed(row, account, exc)
    await delivery_changed(tid, done.deliveries_moved)
    if done.ticket is not None:  # live inboxes, told once the ticket is committed
        await ticket_changed(done.ticket, "message_added" if done.before else "created", done.before)
    return Outcome(done.status, row.id, ticket_id, done.reason)


async def _not_parsed(row: InboundMessage, account: ChannelAccount, code: str,
                      fallback_id: str | None = None) -> Outcome:
    try:
        await InboundMessage.filter(id=row.id).update(status="failed", error=code[:64], provider_id=fallback_id)
    except IntegrityError:  # the same unparsable bytes, read before (an IMAP folder read again)
        if (twin := await _duplicate(row, account, fallback_id)) is not None:
            return twin
        raise
    log.warning("inbound %s on channel %s: not parsed (%s)", row.id, account.id, code)
    return Outcome("failed", row.id)


async def keep_failed(account: ChannelAccount, raw: bytes, code: str) -> Outcome:
    """Keep bytes a kind's own route could not read at all (not even to split them), for admins."""
    return await _not_parsed(await _store(account, raw), account, code)


async def _failed(row: InboundMessage, account: ChannelAccount, exc: Exception) -> Outcome:
    code = _error_code(exc)
    await InboundMessage.filter(id=row.id).update(status="failed", error=code)
    log.warning("inbound %s on channel %s: not processed (%s)", row.id, account.id, code)
    return Outcome("failed", row.id)
