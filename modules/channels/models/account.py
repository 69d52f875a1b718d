"""A channel account: one mailbox (or number, or widget) of a tenant, with its credentials."""

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models import TenantModel

ACCEPT_FROM = ("anyone", "known_customers")


class ChannelAccount(TenantModel):
    """Credentials are JSON encrypted at rest and never returned. The inbound token is kept as its
    SHA-256 only. Health names an error code, never a secret or a customer's data."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.UUIDField(unique=True)  # in the webhook URL: says nothing about the tenant
    kind = fields.CharField(max_length=32)
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=254)  # the mailbox: From of replies
    reply_to = fields.CharField(max_length=254, null=True)
    credentials = EncryptedTextField(null=True)
    inbound_token_hash = fields.CharField(max_length=64)
    enabled = fields.BooleanField(default=True)
    # "anyone", or "known_customers": a sender no customer has the address of opens nothing.
    accept_from = fields.CharField(max_length=16, default="anyone", db_default="anyone")
    last_ok_at = fields.DatetimeField(null=True)
    last_error_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "channels_account"
        unique_together = (("tenant", "name"),)
        indexes = (("tenant_id", "kind", "enabled"),)
