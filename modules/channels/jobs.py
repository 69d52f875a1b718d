"""The channels module's worker part: reply delivery and erasure, driven by outbox events."""

from core.registry import WorkerContribution
from modules.aftersales.services import REPLY_ADDED
from modules.channels.services.media import FETCH_MEDIA, fetch_media
from modules.channels.services.outbound import DELIVER, deliver, prepare
from modules.channels.services.privacy import erase_customer_messages
from modules.crm.services import CUSTOMER_ERASED

worker = WorkerContribution(event_handlers={REPLY_ADDED: [prepare], DELIVER: [deliver],
                                            CUSTOMER_ERASED: [erase_customer_messages],
                                            FETCH_MEDIA: [fetch_media]})
