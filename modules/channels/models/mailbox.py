"""Where an account's IMAP polling stands: the folder's UIDVALIDITY and the last UID taken in, and
the leases that keep two worker processes from polling, or listening to, one mailbox at once."""

from tortoise import fields

from core.models import TenantModel
from modules.channels.models.account import ChannelAccount


class MailboxState(TenantModel):
    """`last_uid` is advanced only once the message of that UID is committed (channels_inbound), and
    only by the poll holding the lease; a folder whose `uidvalidity` changed is read again from UID 1
    (the Message-ID dedupes what was read before). `poll_*` is the lease of the poll running now,
    `listen_*` that of the process holding the mailbox's IDLE connection: each is taken by a
    conditional UPDATE and expires by itself when its process dies."""

    id = fields.BigIntField(primary_key=True)
    account: fields.OneToOneRelation[ChannelAccount] = fields.OneToOneField(
        "channels.ChannelAccount", related_name="mailbox_state", on_delete=fields.CASCADE)
    folder = fields.CharField(max_length=255, default="INBOX")
    uidvalidity = fields.BigIntField(null=True)
    last_uid = fields.BigIntField(default=0)
    polled_at = fields.DatetimeField(null=True)
    poll_owner = fields.CharField(max_length=64, null=True)
    poll_until = fields.DatetimeField(null=True)
    listen_owner = fields.CharField(max_length=64, null=True)
    listen_until = fields.DatetimeField(null=True)
    account_id: int

    class Meta:
        table = "channels_mailbox_state"
