"""Every message a channel received, stored raw before anything else is done with it."""

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models import TenantModel
from modules.channels.models.account import ChannelAccount

STATUSES = ("received", "ticket_created", "threaded", "ignored", "failed")


class InboundMessage(TenantModel):
    """`content` is the provider's bytes (base64, encrypted: a mail is contact data). `provider_id`
    (e-mail: Message-ID) is set once the message is accepted, unique per account: a retried
    webhook finds it taken. A parsing failure keeps the row with its `error` code."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[ChannelAccount] = fields.ForeignKeyField(
        "channels.ChannelAccount", related_name="inbound_messages", on_delete=fields.CASCADE)
    content = EncryptedTextField()
    size = fields.IntField()
    provider_id = fields.CharField(max_length=255, null=True)
    status = fields.CharField(max_length=16, default="received")
    error = fields.CharField(max_length=64, null=True)  # failed: why; ignored: auto_reply, own_message, loop...
    ticket_id = fields.BigIntField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    account_id: int

    class Meta:
        table = "channels_inbound"
        unique_together = (("account", "provider_id"),)
        indexes = (("tenant_id", "provider_id"), ("tenant_id", "status", "received_at"), ("ticket_id",))
