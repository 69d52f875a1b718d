"""Every signed webhook a platform posted, stored before it is processed.

`event_id` is the platform's (Shopify: X-Shopify-Event-Id), unique per channel: a delivery retried
finds it taken and is acknowledged without being processed again. `payload` is encrypted (an order
carries contact data).
"""

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models import TenantModel
from modules.crm.models import SalesChannel

STATUSES = ("received", "processed", "failed")


class WebhookEvent(TenantModel):
    id = fields.BigIntField(primary_key=True)
    channel: fields.ForeignKeyRelation[SalesChannel] = fields.ForeignKeyField(
        "crm.SalesChannel", related_name="sync_events", on_delete=fields.CASCADE)
    event_id = fields.CharField(max_length=128)
    topic = fields.CharField(max_length=64)
    payload = EncryptedTextField()
    status = fields.CharField(max_length=16, default="received")
    error = fields.CharField(max_length=64, default="")
    received_at = fields.DatetimeField(auto_now_add=True)
    channel_id: int

    class Meta:
        table = "sync_event"
        unique_together = (("channel", "event_id"),)
        indexes = (("status", "received_at"),)  # the purge
