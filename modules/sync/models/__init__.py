"""The sync engine's tables (tenant-owned, prefixed sync_), one concept per file."""

from modules.sync.models.endpoint import WebhookEndpoint
from modules.sync.models.event import WebhookEvent
from modules.sync.models.record import SyncedRecord
from modules.sync.models.run import SyncRun
from modules.sync.models.watermark import Watermark

__all__ = ["SyncRun", "SyncedRecord", "Watermark", "WebhookEndpoint", "WebhookEvent"]
