"""Return policies: a tenant's default plus overrides per destination country and/or product category.

A row with country "" and category "" is the default; the most specific row that matches a line
(country and category, then country, then category, then default) decides for that line.
"""

from typing import Any

from tortoise import fields

from core.models import TenantModel

SHIPPING_PAYERS = ("customer", "merchant")


class ReturnPolicy(TenantModel):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    country = fields.CharField(max_length=2, default="")  # ISO 3166-1 alpha-2; "" = any country
    category = fields.CharField(max_length=100, default="")  # a product category; "" = any category
    window_days = fields.IntField(default=30)
    non_returnable_categories: Any = fields.JSONField(default=list)
    return_shipping_paid_by = fields.CharField(max_length=8, default="customer")
    restocking_fee_bp = fields.IntField(default=0)  # basis points of the returned goods' value
    restocking_fee_fixed = fields.BigIntField(default=0)  # minor units of restocking_fee_currency
    restocking_fee_currency = fields.CharField(max_length=3, default="")
    stale_shipment_days = fields.IntField(default=7)  # read from the default policy only
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "aftersales_return_policy"
        unique_together = (("tenant", "country", "category"),)
