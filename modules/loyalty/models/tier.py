"""A tier: reached at its entry threshold, kept while the window's total stays at its retain threshold."""

from tortoise import fields

from core.models import TenantModel
from modules.loyalty.models.program import Program


class Tier(TenantModel):
    """Thresholds are points, or minor units of the program's currency, as the program's tier basis says."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        "loyalty.Program", related_name="tiers", on_delete=fields.CASCADE)
    program_id: int
    name = fields.CharField(max_length=64)
    entry_threshold = fields.BigIntField()
    retain_threshold = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loyalty_tier"
        indexes = (("program_id", "entry_threshold"),)
