"""An agent's note on a customer."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models.customer import Customer


class Note(TenantModel):
    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="notes", on_delete=fields.CASCADE)
    author_id = fields.BigIntField(null=True)
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    customer_id: int

    class Meta:
        table = "crm_note"
        indexes = (("tenant_id", "customer_id", "created_at"),)  # foreign keys (tests/test_indexes.py)
