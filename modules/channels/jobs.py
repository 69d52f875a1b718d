"""The channels module's worker part: reply delivery, driven by outbox events."""

from core.registry import WorkerContribution
from modules.aftersales.services import REPLY_ADDED
from modules.channels.services.outbound import DELIVER, deliver, prepare

worker = WorkerContribution(event_handlers={REPLY_ADDED: [prepare], DELIVER: [deliver]})
