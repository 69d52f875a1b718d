"""A redemption: points reserved (a REDEEM entry), then confirmed with a code, or released (a REFUND entry)."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import Customer
from modules.loyalty.models.entry import LedgerEntry
from modules.loyalty.models.program import Program

STATUSES = ("reserved", "confirmed", "released")


class Redemption(TenantModel):
    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "loyalty.Program", related_name="redemptions", on_delete=fields.CASCADE)
    program_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="loyalty_redemptions", on_delete=fields.CASCADE)
    customer_id: int
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField(
        "loyalty.LedgerEntry", related_name="redemptions", on_delete=fields.CASCADE)
    entry_id: int
    points = fields.BigIntField()
    status = fields.CharField(max_length=16, default="reserved")
    issuer = fields.CharField(max_length=32, default="manual")  # who made the code (services/redemption/codes.py)
    code = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    settled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "loyalty_redemption"
        indexes = (("program_id", "customer_id", "id"), ("customer_id",), ("entry_id",))
