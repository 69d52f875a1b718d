"""The channels module's worker part: reply delivery, erasure and media, driven by outbox events;
IMAP mailboxes polled every minute on the cron queue, and listened to with IDLE by a worker service."""

from typing import Any

from arq import cron

from core.registry import WorkerContribution
from modules.aftersales.services import REPLY_ADDED
from modules.channels.services import listening, polling
from modules.channels.services.media import FETCH_MEDIA, fetch_media
from modules.channels.services.outbound import DELIVER, deliver, prepare
from modules.channels.services.privacy import erase_customer_messages
from modules.crm.services import CUSTOMER_ERASED

POLL_IMAP = "channels.poll_imap"


async def poll_imap(ctx: dict[str, Any]) -> dict[str, int]:
    """Every minute: every enabled IMAP mailbox, each under its lease (services.polling)."""
    return await polling.poll_due()  # looked up at each run (a test pauses it)


worker = WorkerContribution(
    event_handlers={REPLY_ADDED: [prepare], DELIVER: [deliver], CUSTOMER_ERASED: [erase_customer_messages],
                    FETCH_MEDIA: [fetch_media]},
    cron_jobs=[cron(poll_imap, name=POLL_IMAP, second={13}, unique=True, timeout=300)],
    services=[listening.service],
)
