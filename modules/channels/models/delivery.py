"""The delivery of one outbound ticket message over its ticket's channel."""

from typing import Any

from tortoise import fields

from core.models import TenantModel
from modules.channels.models.account import ChannelAccount

STATES = ("queued", "sent", "delivered", "read", "failed", "bounced")


class Delivery(TenantModel):
    """`provider_id` (e-mail: Message-ID) is chosen and committed before the first attempt, so
    every retry sends the same one, unless only the provider's answer names it (WhatsApp's wamid
    replaces ours once sent). `error` is a code (an SMTP status, connection_refused). `template`
    (name, language, parameters) is sent instead of the message's text (WhatsApp outside its window)."""

    id = fields.BigIntField(primary_key=True)
    message_id = fields.BigIntField(unique=True)  # aftersales TicketMessage: one delivery each
    ticket_id = fields.BigIntField()
    account: fields.ForeignKeyNullableRelation[ChannelAccount] = fields.ForeignKeyField(
        "channels.ChannelAccount", related_name="deliveries", null=True, on_delete=fields.SET_NULL)
    provider_id = fields.CharField(max_length=255)
    in_reply_to = fields.CharField(max_length=255, null=True)
    references: Any = fields.JSONField(default=list)
    state = fields.CharField(max_length=16, default="queued")
    response = fields.CharField(max_length=255, null=True)
    error = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)  # the provider's receipts (WhatsApp)
    read_at = fields.DatetimeField(null=True)
    template: Any = fields.JSONField(null=True)
    account_id: int | None

    class Meta:
        table = "channels_delivery"
        indexes = (("tenant_id", "provider_id"), ("ticket_id",), ("account_id",))
