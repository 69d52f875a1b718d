"""A tenant's loyalty program: what it pays in, how long points wait and live, and how debts and tiers work."""

from tortoise import fields

from core.models import TenantModel

KINDS = ("points",)  # cashback, coupons and next-order coupons come later
EXPIRY_POLICIES = ("none", "per_lot", "inactivity")
NEGATIVE_POLICIES = ("debt", "cap")  # debt: the balance may go below zero and blocks redemption
TIER_BASES = ("points", "spend")
TIER_WINDOWS = ("rolling_12m", "calendar_year")


class Program(TenantModel):
    """One per tenant and kind. `expiry_started_at` is when expiry was switched on: no clock runs before it."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16, default="points")
    name = fields.CharField(max_length=100, default="")
    currency = fields.CharField(max_length=3)
    pending_days = fields.IntField(default=0)
    expiry_policy = fields.CharField(max_length=16, default="none")
    expiry_days = fields.IntField(default=0)
    expiry_started_at = fields.DatetimeField(null=True)
    negative_policy = fields.CharField(max_length=16, default="debt")
    tier_basis = fields.CharField(max_length=16, default="points")
    tier_window = fields.CharField(max_length=16, default="rolling_12m")
    enabled = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "loyalty_program"
        unique_together = (("tenant", "kind"),)
