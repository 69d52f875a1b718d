"""Tags with a colour, and which customers carry them."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models.customer import Customer


class Tag(TenantModel):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=50)
    colour = fields.CharField(max_length=7, default="#64748b")

    class Meta:
        table = "crm_tag"
        unique_together = (("tenant", "name"),)


class CustomerTag(TenantModel):
    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="tag_links", on_delete=fields.CASCADE)
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "crm.Tag", related_name="customer_links", on_delete=fields.CASCADE)
    customer_id: int
    tag_id: int

    class Meta:
        table = "crm_customer_tag"
        unique_together = (("customer", "tag"),)
        indexes = (("tag_id",),)  # foreign keys (tests/test_indexes.py)
