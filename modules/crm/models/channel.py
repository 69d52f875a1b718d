"""Where customers buy (Shopify store, Amazon marketplace...) and who they are there."""

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models import TenantModel
from modules.crm.models.customer import Customer

PLATFORMS = ("shopify", "amazon", "ebay", "woocommerce", "manual")


class SalesChannel(TenantModel):
    id = fields.BigIntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    name = fields.CharField(max_length=100)
    credentials = EncryptedTextField(null=True)  # JSON, encrypted at rest, never returned by the API
    # How the channel's order numbers look in a buyer's mail ("SO-{6}"): services/order_numbers.py
    order_number_format = fields.CharField(max_length=40, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "crm_channel"
        unique_together = (("tenant", "name"),)


class CustomerIdentity(TenantModel):
    """The customer's id on one channel: the key imports and platform sync match on."""

    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="identities", on_delete=fields.CASCADE)
    channel: fields.ForeignKeyRelation[SalesChannel] = fields.ForeignKeyField(
        "crm.SalesChannel", related_name="identities", on_delete=fields.CASCADE)
    external_id = fields.CharField(max_length=128)
    customer_id: int
    channel_id: int

    class Meta:
        table = "crm_identity"
        unique_together = (("tenant", "channel", "external_id"),)
        indexes = (("customer_id",),)  # foreign keys (tests/test_indexes.py)
