"""Contact data, encrypted at rest: e-mails and phones (with a keyed hash for exact look-ups)
and postal addresses."""

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models import TenantModel
from modules.crm.models.customer import Customer


class CustomerContact(TenantModel):
    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="contacts", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=8)  # "email" | "phone"
    value = EncryptedTextField()
    value_hash = fields.CharField(max_length=64, db_index=True)
    is_primary = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    customer_id: int

    class Meta:
        table = "crm_contact"
        # Exact look-ups and duplicate detection; a customer's contacts (loaders, the foreign key).
        indexes = (("tenant_id", "value_hash"), ("customer_id",))


class Address(TenantModel):
    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="addresses", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=8, default="shipping")  # "shipping" | "billing"
    name = EncryptedTextField(null=True)
    line1 = EncryptedTextField()
    line2 = EncryptedTextField(null=True)
    postal_code = EncryptedTextField(null=True)
    city = fields.CharField(max_length=100, default="")
    region = fields.CharField(max_length=100, default="")
    country = fields.CharField(max_length=2)
    # One default per (customer, kind), kept so by modules/crm/services/addresses.py.
    is_default = fields.BooleanField(default=False, db_default=False)
    customer_id: int

    class Meta:
        table = "crm_address"
        indexes = (("customer_id",),)  # foreign keys (tests/test_indexes.py)
