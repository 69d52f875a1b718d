"""Mail loops: a mailbox that receives its own replies, or an auto-responder that sends no
`Auto-Submitted` header answering every message it gets (headers are handled in mail.parse).

Either would make tickets without end, and an answer to each would feed the loop. So a message
from the account's own address, or carrying the id of a message we sent, is our own come back;
and past the kind's `sender_limit` (messages from one sender to one account in a window) the rest
of that window is kept as ignored (`loop`): stored for admins, no ticket, no answer. The count is
kept under a blind index of the sender, in the database (a Redis flush resets nothing).
"""

from __future__ import annotations

from core.auth import ratelimit
from core.channels import ChannelKind, Inbound
from core.crypto import cipher
from core.tenancy import scoped
from modules.channels.models import ChannelAccount, Delivery


async def loop_reason(account: ChannelAccount, kind: ChannelKind, message: Inbound) -> str | None:
    """`own_message`, `loop`, or None for a message a person may have written."""
    if message.sender.strip().casefold() == account.address.strip().casefold():
        return "own_message"
    if message.provider_id and await scoped(Delivery, account.tenant_id).filter(
            provider_id=message.provider_id).exists():
        return "own_message"
    if kind.sender_limit is None:
        return None
    limit, window = kind.sender_limit
    sender = cipher().blind_index(f"sender:{message.sender.strip().casefold()}")
    return "loop" if await ratelimit.hit(f"inbound:{account.id}:{sender}"[:120], window) > limit else None
