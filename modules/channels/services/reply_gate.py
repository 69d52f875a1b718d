"""The channels module's answer to `core.channels.check_reply`: aftersales asks before it stores
a free-form reply, and the kind of the account the reply would leave through may refuse it (its
`check_reply`: WhatsApp's 24-hour window), told when the customer last wrote on that ticket."""

from __future__ import annotations

from datetime import UTC, datetime

from core import channels as registry
from core.channels import ReplyContext
from core.tenancy import scoped
from modules.channels.models import InboundMessage
from modules.channels.services.accounts import config
from modules.channels.services.outbound import reply_account

WRITTEN = ("ticket_created", "threaded")  # the customer's own messages, not receipts or failures


async def last_inbound_at(tenant_id: int, ticket_id: int, account_id: int) -> datetime | None:
    last = await (scoped(InboundMessage, tenant_id).filter(ticket_id=ticket_id, account_id=account_id,
                                                           status__in=WRITTEN)
                  .order_by("-received_at").first().values_list("received_at", flat=True))
    return last if isinstance(last, datetime) else None


def _may_refuse(ticket_channel: str) -> bool:
    """Whether a kind that could carry a reply on this channel checks replies (else: no query)."""
    for kind in registry.kinds():
        if kind.ticket_channel != ticket_channel:
            continue
        answers = registry.kind(kind.replies_by) if kind.replies_by else kind
        if answers is not None and answers.check_reply is not None:
            return True
    return False


async def check_reply(tenant_id: int, ticket_id: int, ticket_channel: str) -> None:
    """Raise the kind's error when a free-form reply on this ticket may not go out now."""
    if not _may_refuse(ticket_channel):
        return
    account, _ = await reply_account(tenant_id, ticket_id, ticket_channel)
    kind = registry.kind(account.kind) if account is not None else None
    if account is None or kind is None or kind.check_reply is None:
        return
    context = ReplyContext(last_inbound_at=await last_inbound_at(tenant_id, ticket_id, account.id),
                           now=datetime.now(UTC))
    error = kind.check_reply(config(account), context)
    if error is not None:
        raise error
