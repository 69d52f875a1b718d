"""How many points of one debit (a spend, an expiry, a clawback) came out of one lot; a REFUND puts them back."""

from tortoise import fields

from core.models import TenantModel
from modules.loyalty.models.entry import LedgerEntry
from modules.loyalty.models.lot import Lot


class Allocation(TenantModel):
    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField(
        "loyalty.LedgerEntry", related_name="allocations", on_delete=fields.CASCADE)
    entry_id: int
    lot: fields.ForeignKeyRelation[Lot] = fields.ForeignKeyField(
        "loyalty.Lot", related_name="allocations", on_delete=fields.CASCADE)
    lot_id: int
    points = fields.BigIntField()

    class Meta:
        table = "loyalty_allocation"
        indexes = (("entry_id",), ("lot_id",))
