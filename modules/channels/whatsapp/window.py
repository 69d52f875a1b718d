"""WhatsApp's customer-service window: a business may write freely for 24 hours after the
customer's last message, and after that only send a template Meta approved. The reply is refused
before it is stored or queued, with an error that tells the agent what to do instead (the Graph
API would refuse it later with 131047, where nobody is looking)."""

from __future__ import annotations

from datetime import timedelta

from core.channels import Account, ReplyContext
from core.errors import UserFacingError
from core.i18n import N_
from modules.channels.services.errors import channels_error

WINDOW = timedelta(hours=24)


def check_reply(account: Account, context: ReplyContext) -> UserFacingError | None:
    if context.last_inbound_at is not None and context.now - context.last_inbound_at < WINDOW:
        return None
    return channels_error("WHATSAPP_WINDOW_CLOSED", N_(
        "The customer last wrote on WhatsApp more than 24 hours ago: only an approved template can be "
        "sent now (sendTicketTemplate)."))
