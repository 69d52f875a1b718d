"""The delivery of one outbound ticket message over its ticket's channel."""

from typing import Any

from tortoise import fields

from core.models import TenantModel
from modules.channels.models.account import ChannelAccount

STATES = ("queued", "sent", "failed", "bounced")


class Delivery(TenantModel):
    """`provider_id` (e-mail: Message-ID) is chosen and committed before the first attempt, so
    every retry sends the same one. `error` is a code (an SMTP status, connection_refused)."""

    id = fields.BigIntField(primary_key=True)
    message_id = fields.BigIntField(unique=True)  # aftersales TicketMessage: one delivery each
    ticket_id = fields.BigIntField()
    account: fields.ForeignKeyNullableRelation[ChannelAccount] = fields.ForeignKeyField(
        "channels.ChannelAccount", related_name="deliveries", null=True, on_delete=fields.SET_NULL)
    provider_id = fields.CharField(max_length=255)
    in_reply_to = fields.CharField(max_length=255, null=True)
    references: Any = fields.JSONField(default=list)
    state = fields.CharField(max_length=8, default="queued")
    response = fields.CharField(max_length=255, null=True)
    error = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    account_id: int | None

    class Meta:
        table = "channels_delivery"
        indexes = (("tenant_id", "provider_id"), ("ticket_id",), ("account_id",))
