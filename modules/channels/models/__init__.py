"""The channels module's tables (tenant-owned, prefixed channels_), one concept per file."""

from modules.channels.models.account import ChannelAccount
from modules.channels.models.delivery import Delivery
from modules.channels.models.inbound import InboundMessage
from modules.channels.models.mailbox import MailboxState
from modules.channels.models.notification import Notification, NotificationTemplate
from modules.channels.models.thread import Conversation

__all__ = ["ChannelAccount", "Conversation", "Delivery", "InboundMessage", "MailboxState", "Notification",
           "NotificationTemplate"]
