"""Which account a ticket's conversation runs on, and the address the customer writes from."""

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models import TenantModel
from modules.channels.models.account import ChannelAccount


class Conversation(TenantModel):
    """Written when a message creates a ticket: replies go back through the same account to the
    address the customer used (which may not be their primary one). `key` is the keyed hash
    (blind index) of the channel's conversation id (a WhatsApp wa_id is a phone number), so the
    customer's next message finds its open ticket without the id being stored in the clear."""

    id = fields.BigIntField(primary_key=True)
    ticket_id = fields.BigIntField(unique=True)
    account: fields.ForeignKeyRelation[ChannelAccount] = fields.ForeignKeyField(
        "channels.ChannelAccount", related_name="conversations", on_delete=fields.CASCADE)
    address = EncryptedTextField()
    name = fields.CharField(max_length=200, default="")
    key = fields.CharField(max_length=64, null=True)
    account_id: int

    class Meta:
        table = "channels_conversation"
        indexes = (("account_id",), ("account_id", "key"))
