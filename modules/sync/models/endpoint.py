"""The public address a platform posts a channel's webhooks to: an unguessable id, not the row id."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import SalesChannel


class WebhookEndpoint(TenantModel):
    id = fields.BigIntField(primary_key=True)
    public_id = fields.UUIDField(unique=True)
    channel: fields.ForeignKeyRelation[SalesChannel] = fields.ForeignKeyField(
        "crm.SalesChannel", related_name="sync_endpoint", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)
    channel_id: int

    class Meta:
        table = "sync_endpoint"
        unique_together = (("tenant", "channel"),)
        indexes = (("channel_id",),)
