"""What counts towards tiers: one row per paid order (points earned, money spent) and per refund (minus).

Spending points writes none, so it never demotes; a refund writes a negative one, so it can.
"""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import Customer
from modules.loyalty.models.program import Program


class Qualifying(TenantModel):
    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "loyalty.Program", related_name="qualifying", on_delete=fields.CASCADE)
    program_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="loyalty_qualifying", on_delete=fields.CASCADE)
    customer_id: int
    source_type = fields.CharField(max_length=32)
    source_id = fields.CharField(max_length=64)
    points = fields.BigIntField()
    money = fields.BigIntField()  # minor units of the program's currency
    at = fields.DatetimeField()

    class Meta:
        table = "loyalty_qualifying"
        unique_together = (("program", "source_type", "source_id"),)
        indexes = (("program_id", "customer_id", "at"), ("customer_id",))
