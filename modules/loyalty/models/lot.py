"""A lot: the points of one credit, what is left of them, when they become usable and when they expire."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import Customer
from modules.loyalty.models.entry import LedgerEntry
from modules.loyalty.models.program import Program


class Lot(TenantModel):
    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "loyalty.Program", related_name="lots", on_delete=fields.CASCADE)
    program_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="loyalty_lots", on_delete=fields.CASCADE)
    customer_id: int
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField(
        "loyalty.LedgerEntry", related_name="lots", on_delete=fields.CASCADE)
    entry_id: int
    amount = fields.BigIntField()
    remaining = fields.BigIntField()
    pending_until = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "loyalty_lot"
        # A customer's lots in spending order; due lots per program (the expiry job); foreign keys.
        indexes = (("program_id", "customer_id", "expires_at", "created_at"), ("program_id", "expires_at"),
                   ("customer_id",), ("entry_id",))
