"""Replies out: a reply owed (aftersales' outbox event) becomes a queued Delivery with its
provider id (Message-ID) committed, then a second event sends it.

Two steps, so that the id a message is sent under is stored before any attempt: a worker that dies
after the server took the mail sends it again under the same Message-ID, which the customer's mail
client shows once (SMTP cannot do better). A temporary failure raises, and the outbox retries
with back-off (on the outbox's last attempt it fails the delivery); a permanent one marks the
delivery failed and stops.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from core import channels as registry
from core import events
from core.channels import ChannelKind, DeliveryError, Outbound, Template
from core.models import OutboxEvent
from core.tenancy import scoped
from modules.aftersales.services import get_message, get_ticket
from modules.channels.models import ChannelAccount, Conversation, Delivery, InboundMessage
from modules.channels.services.accounts import config, record_health
from modules.channels.services.live import delivery_changed
from modules.channels.services.threads import thread_subject
from modules.crm import services as crm

DELIVER = "channels.deliver"
log = logging.getLogger(__name__)


def _kinds_for(ticket_channel: str) -> list[ChannelKind]:
    return [k for k in registry.kinds() if k.ticket_channel == ticket_channel]


async def _account(tenant_id: int, ticket_id: int, ticket_channel: str) -> ChannelAccount | None:
    """The account the conversation came in on, else the tenant's first enabled one of that channel."""
    conversation = await scoped(Conversation, tenant_id).filter(ticket_id=ticket_id).first()
    if conversation is not None:
        return await scoped(ChannelAccount, tenant_id).filter(id=conversation.account_id).first()
    names = [k.name for k in _kinds_for(ticket_channel)]
    return await (scoped(ChannelAccount, tenant_id).filter(kind__in=names, enabled=True)
                  .order_by("created_at", "id").first())


async def thread_ids(tenant_id: int, ticket_id: int) -> tuple[list[str], str | None]:
    """(References, In-Reply-To): the thread's ids oldest first, and the customer's latest."""
    received = await (scoped(InboundMessage, tenant_id).filter(ticket_id=ticket_id, provider_id__not_isnull=True)
                      .order_by("received_at", "id").values_list("received_at", "provider_id"))
    sent = await (scoped(Delivery, tenant_id).filter(ticket_id=ticket_id)
                  .order_by("created_at", "id").values_list("created_at", "provider_id"))
    ordered = [str(pid) for _, pid in sorted([*received, *sent], key=lambda r: r[0])]
    return list(dict.fromkeys(ordered)), str(received[-1][1]) if received else (ordered[-1] if ordered else None)


async def reply_account(tenant_id: int, ticket_id: int, ticket_channel: str) -> tuple[ChannelAccount | None, bool]:
    """(the account a reply on this ticket goes out through, whether it threads on the ticket's
    ids). A form's ticket is answered through the tenant's first enabled mailbox, unthreaded."""
    account = await _account(tenant_id, ticket_id, ticket_channel)
    came_in = registry.kind(account.kind) if account is not None else None
    if came_in is not None and came_in.replies_by:
        return await (scoped(ChannelAccount, tenant_id).filter(kind=came_in.replies_by, enabled=True)
                      .order_by("created_at", "id").first()), False
    return account, True


async def queue(tenant_id: int, message_id: int, ticket_id: int, account: ChannelAccount | None, *,
                threaded: bool = True, template: Template | None = None) -> Delivery:
    """The reply's delivery, queued with its provider id (committed before any attempt), and the
    event that sends it; failed at once with no_channel when no account can carry it."""
    if account is None:
        return await Delivery.create(tenant_id=tenant_id, message_id=message_id, ticket_id=ticket_id,
                                     provider_id="", state="failed", error="no_channel")
    kind = registry.kind(account.kind)
    references, in_reply_to = await thread_ids(tenant_id, ticket_id)
    if not threaded:  # only our earlier replies' Message-IDs thread a mail; the form's ids do not
        references = [r for r in references if r.startswith("<")]
        in_reply_to = references[-1] if references else None
    provider_id = kind.new_provider_id(config(account)) if kind else ""
    delivery = await Delivery.create(
        tenant_id=tenant_id, message_id=message_id, ticket_id=ticket_id, account_id=account.id,
        provider_id=provider_id, in_reply_to=in_reply_to, references=references,
        template={"name": template.name, "language": template.language, "parameters": list(template.parameters)}
        if template else None)
    await events.emit(DELIVER, {"delivery_id": delivery.id}, tenant_id, event_id=deliver_event_id(delivery.id))
    return delivery


async def prepare(event: OutboxEvent) -> None:
    """aftersales.reply_added: queue the reply on its ticket's channel, with its Message-ID."""
    tid, payload = event.tenant_id, event.payload
    if tid is None or not _kinds_for(str(payload.get("channel"))):
        return  # no installed kind speaks this ticket's channel (phone, say): nothing to deliver
    message_id, ticket_id = int(payload["message_id"]), int(payload["ticket_id"])
    if await scoped(Delivery, tid).filter(message_id=message_id).exists():
        return  # queued already (a retried event, or a template queued with its message)
    account, threaded = await reply_account(tid, ticket_id, str(payload["channel"]))
    await queue(tid, message_id, ticket_id, account, threaded=threaded)


def deliver_event_id(delivery_id: int) -> uuid.UUID:
    """The id of the outbox event that sends a delivery: its attempts are the delivery's."""
    return events.stable_id(DELIVER, str(delivery_id))


async def _fail(delivery: Delivery, code: str, response: str | None = None) -> None:
    delivery.state, delivery.error, delivery.response = "failed", code[:64], (response or None)
    await delivery.save(update_fields=["state", "error", "response"])
    await delivery_changed(delivery.tenant_id, [delivery.ticket_id])


async def _recipient(tid: int, ticket_id: int, customer_id: int | None, kind: ChannelKind) -> tuple[str, str] | None:
    """Where the customer wrote from, else their primary address of the kind's sort (e-mail, phone)."""
    conversation = await scoped(Conversation, tid).filter(ticket_id=ticket_id).first()
    if conversation is not None:
        return conversation.address, conversation.name
    address = await crm.primary_contact(tid, customer_id, kind.address) if customer_id else None
    return (address, "") if address else None


def _template(delivery: Delivery) -> Template | None:
    stored = delivery.template
    return Template(stored["name"], stored["language"], tuple(stored.get("parameters") or ())) if stored else None


async def deliver(event: OutboxEvent) -> None:
    """channels.deliver: send a queued delivery once; its state says how it went."""
    tid = event.tenant_id
    delivery = await scoped(Delivery, tid or 0).filter(id=int(event.payload["delivery_id"])).first()
    if tid is None or delivery is None or delivery.state != "queued":
        return
    account = await scoped(ChannelAccount, tid).filter(id=delivery.account_id or 0).first()
    kind = registry.kind(account.kind) if account else None
    if account is None or kind is None or not account.enabled:
        await _fail(delivery, "channel_disabled")
        return
    ticket = await get_ticket(tid, delivery.ticket_id)
    message = await get_message(tid, delivery.message_id)
    to = await _recipient(tid, ticket.id, ticket.customer_id, kind)
    if message is None or to is None:
        await _fail(delivery, "no_recipient" if to is None else "message_gone")
        return
    # What the customer reads: the reply in the ticket's language when it was translated into it.
    translated = message.translated_body and message.translated_language == ticket.language
    body, language = (message.translated_body, ticket.language) if translated else (message.body, message.language)
    outbound = Outbound(to=to[0], to_name=to[1], subject=thread_subject(ticket.subject, ticket.number),
                        body=body or "", provider_id=delivery.provider_id, in_reply_to=delivery.in_reply_to,
                        references=tuple(delivery.references or ()), language=language or "",
                        template=_template(delivery))
    try:
        sent = await kind.send(config(account), outbound)
    except DeliveryError as exc:
        # The outbox's last attempt: a temporary failure is final too, so the state never says
        # queued for a reply nobody will try again.
        final = exc.permanent or event.attempts + 1 >= events.MAX_ATTEMPTS
        log.warning("delivery %s on channel %s: %s (%s)", delivery.id, account.id,
                    "failed" if final else "will retry", exc.code)
        if not final:
            raise
        await _fail(delivery, exc.code, exc.response[:255])
        await record_health(account.id, exc.code)
        return
    # A receipt may have come first (WhatsApp's webhook can beat this write): never move it back.
    await Delivery.filter(id=delivery.id, state="queued").update(state="sent")
    await Delivery.filter(id=delivery.id).update(response=sent.response, sent_at=datetime.now(UTC),
                                                 provider_id=(sent.provider_id or delivery.provider_id)[:255])
    await record_health(account.id, None)
    await delivery_changed(tid, [delivery.ticket_id])
