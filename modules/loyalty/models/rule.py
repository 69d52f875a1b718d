"""An earning rule: on an event, points per order, per money unit (net or gross) or per unit bought."""

from tortoise import fields

from core.models import TenantModel
from modules.loyalty.models.program import Program

EVENTS = ("order_paid",)  # sign-up, review, birthday, referral purchase come later
MODES = ("per_order", "per_amount", "per_unit")
BASES = ("net", "gross")  # net: goods less discount; gross: the order's total


class EarnRule(TenantModel):
    """per_amount pays `points` for every whole `per` minor units of the basis, rounded down."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "loyalty.Program", related_name="rules", on_delete=fields.CASCADE)
    program_id: int
    event = fields.CharField(max_length=32, default="order_paid")
    mode = fields.CharField(max_length=16)
    basis = fields.CharField(max_length=8, default="net")
    points = fields.BigIntField()
    per = fields.BigIntField(default=100)  # minor units per step of per_amount (100 = one euro)
    min_amount = fields.BigIntField(default=0)  # minor units of the basis below which nothing is earned
    enabled = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loyalty_rule"
        indexes = (("program_id", "id"),)
