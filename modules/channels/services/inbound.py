"""The inbound pipeline: store the raw message, parse, dedupe, thread, match the sender, then the
ticket or the reply through aftersales' own services (language, priority, routing, SLA).

Nothing that arrives is lost: the raw bytes are committed before parsing; a message that cannot
be parsed, or whose processing fails, keeps its row with an error code for admins. A provider's
retry is recognised by the message's id (Message-ID), unique per account: it creates nothing
twice. Automated mail (auto-replies, lists, bounces) is kept as ignored, and a bounce marks the
reply it is about.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

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
    get_ticket,
    ticket_changed,
)
from modules.channels.models import ChannelAccount, Conversation, Delivery, InboundMessage
from modules.channels.services.accounts import kind_of
from modules.channels.services.threads import find_ticket
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


async def system_actor(tenant_id: int) -> Principal:
    tenant = await Tenant.get(id=tenant_id)
    return Principal.system(tenant_id, "channel", tenant.default_locale)


async def _customer(actor: Principal, message: Inbound) -> int:
    found = await crm.find_by_email(actor.tenant_id, message.sender)
    if found is not None:
        return found
    first, _, last = message.sender_name.strip().partition(" ")
    customer = await crm.create_customer(actor, crm.CustomerData(
        first_name=first[:100], last_name=last.strip()[:100], emails=[message.sender]))
    return customer.id


async def _bounce(tenant_id: int, message: Inbound) -> None:
    if message.bounced_ids:
        await scoped(Delivery, tenant_id).filter(provider_id__in=list(message.bounced_ids)).update(
            state="bounced", error="bounced")


@dataclass(frozen=True)
class _Done:
    status: str
    ticket: Ticket | None = None
    before: TicketPlace | None = None  # where a threaded ticket was, for the live update


async def _process(actor: Principal, account: ChannelAccount, kind: ChannelKind, message: Inbound) -> _Done:
    if message.automated:
        if message.automated == "bounce":
            await _bounce(actor.tenant_id, message)
        return _Done("ignored")
    customer_id = await _customer(actor, message)
    body = message.body[:MAX_BODY].strip() or NO_TEXT
    ticket_id = await find_ticket(actor.tenant_id, message, customer_id)
    if ticket_id is not None:
        before = TicketPlace.of(await get_ticket(actor.tenant_id, ticket_id))
        _, ticket = await add_message(actor, ticket_id, "inbound", body, publish=False)
        return _Done("threaded", ticket, before)
    order_id = (await crm.find_customer_order(actor.tenant_id, customer_id, message.order_number)
                if message.order_number else None)
    ticket = await create_ticket(actor, NewTicket(
        type="inquiry", channel=kind.ticket_channel, subject=message.subject[:MAX_SUBJECT].strip() or NO_SUBJECT,
        body=body, customer_id=customer_id, order_id=order_id, language=message.language))
    await Conversation.create(tenant_id=actor.tenant_id, ticket_id=ticket.id, account_id=account.id,
                              address=message.sender, name=message.sender_name[:200])
    return _Done("ticket_created", ticket)


def _error_code(exc: Exception) -> str:
    if isinstance(exc, UserFacingErrors) and exc.errors:
        return exc.errors[0].code.lower()[:64]
    if isinstance(exc, UserFacingError):
        return exc.code.lower()[:64]
    return f"error_{type(exc).__name__}"[:64]


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
    row = await InboundMessage.create(tenant_id=tid, account_id=account.id, size=len(raw),
                                      content=base64.b64encode(raw).decode("ascii"))
    kind = kind_of(account.kind)
    try:
        message = kind.parse(raw)
    except ParseError as exc:
        try:
            await InboundMessage.filter(id=row.id).update(status="failed", error=exc.code[:64],
                                                          provider_id=fallback_id)
        except IntegrityError:
            if (twin := await _duplicate(row, account, fallback_id)) is not None:
                return twin
            raise
        log.warning("inbound %s on channel %s: not parsed (%s)", row.id, account.id, exc.code)
        return Outcome("failed", row.id)
    provider_id = (message.provider_id or fallback_id or "")[:255] or None
    actor = await system_actor(tid)
    try:
        async with in_transaction():
            if provider_id:
                await InboundMessage.filter(id=row.id).update(provider_id=provider_id)
            done = await _process(actor, account, kind, message)
            ticket_id = done.ticket.id if done.ticket else None
            await InboundMessage.filter(id=row.id).update(
                status=done.status, ticket_id=ticket_id, error=message.automated if done.status == "ignored" else None)
    except IntegrityError:
        if (twin := await _duplicate(row, account, provider_id)) is not None:
            return twin
        return await _failed(row, account, IntegrityError())
    except Exception as exc:  # noqa: BLE001 - kept with its code for admins, never lost
        return await _failed(row, account, exc)
    if done.ticket is not None:  # live inboxes, told once the ticket is committed
        await ticket_changed(done.ticket, "message_added" if done.before else "created", done.before)
    return Outcome(done.status, row.id, ticket_id)


async def _failed(row: InboundMessage, account: ChannelAccount, exc: Exception) -> Outcome:
    code = _error_code(exc)
    await InboundMessage.filter(id=row.id).update(status="failed", error=code)
    log.warning("inbound %s on channel %s: not processed (%s)", row.id, account.id, code)
    return Outcome("failed", row.id)
