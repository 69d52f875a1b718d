"""RFM scores (1-5 each) per customer, recomputed in SQL by a nightly job."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models.customer import Customer


class CustomerScore(TenantModel):
    id = fields.BigIntField(primary_key=True)
    customer: fields.OneToOneRelation[Customer] = fields.OneToOneField(
        "crm.Customer", related_name="score", on_delete=fields.CASCADE)
    recency = fields.SmallIntField()
    frequency = fields.SmallIntField()
    monetary = fields.SmallIntField()
    order_count = fields.IntField()
    last_order_at = fields.DatetimeField()
    computed_at = fields.DatetimeField()
    customer_id: int

    class Meta:
        table = "crm_customer_score"
