"""A customer's place in a program: the row their balance changes lock, their tier and last activity.

It holds no balance: the balance is always the sum of the ledger (models/entry.py).
"""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import Customer
from modules.loyalty.models.program import Program
from modules.loyalty.models.tier import Tier


class Account(TenantModel):
    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "loyalty.Program", related_name="accounts", on_delete=fields.CASCADE)
    program_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="loyalty_accounts", on_delete=fields.CASCADE)
    customer_id: int
    tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "loyalty.Tier", related_name="accounts", null=True, on_delete=fields.SET_NULL)
    tier_id: int | None
    tier_since = fields.DatetimeField(null=True)
    last_activity_at = fields.DatetimeField(null=True)  # the last earning or spending (inactivity expiry)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loyalty_account"
        unique_together = (("program", "customer"),)
        indexes = (("customer_id",), ("tier_id",), ("program_id", "last_activity_at"))
