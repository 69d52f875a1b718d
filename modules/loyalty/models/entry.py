"""The ledger: signed entries, never edited but for the debt part of a debit that lots did not cover.

A credit (EARN, positive ADJUST, REFUND) is unique on (tenant, program, source type, source id,
rule, kind), so a redelivered event or a job run twice writes it once; debits use the same key.
`unallocated` is the part of a debit no lot covered (debt, under the debt policy); later earnings
pay it off through allocations, so balance = sum(points) = sum(lots' remaining) - sum(unallocated).
"""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import Customer
from modules.loyalty.models.program import Program

KINDS = ("EARN", "REDEEM", "ADJUST", "REFUND", "EXPIRE", "CLAWBACK")


class LedgerEntry(TenantModel):
    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "loyalty.Program", related_name="entries", on_delete=fields.CASCADE)
    program_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="loyalty_entries", on_delete=fields.CASCADE)
    customer_id: int
    kind = fields.CharField(max_length=16)
    points = fields.BigIntField()
    unallocated = fields.BigIntField(default=0)
    source_type = fields.CharField(max_length=32)
    source_id = fields.CharField(max_length=64)
    rule_key = fields.BigIntField(default=0)  # the earning rule's id, 0 for none
    reason = fields.CharField(max_length=500, default="")
    actor_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "loyalty_entry"
        unique_together = (("tenant", "program", "source_type", "source_id", "rule_key", "kind"),)
        # A customer's history newest first; an order's entries (clawback); the debts to pay off.
        indexes = (("program_id", "customer_id", "id"), ("customer_id",),
                   ("program_id", "source_type", "source_id"))
