"""Refunds: money given back on an order, in the order's currency, as integer minor units.

A refund starts `pending`; a payment connector (listening to "aftersales.refund_created") marks it
`succeeded` or `failed`. Failed refunds no longer count against what is still refundable.
"""

from tortoise import fields

from core.models import TenantModel

REFUND_STATUSES = ("pending", "succeeded", "failed")


class Refund(TenantModel):
    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "crm.Order", related_name="refunds", on_delete=fields.CASCADE)
    request: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "aftersales.ReturnRequest", related_name="refunds", null=True, on_delete=fields.SET_NULL)
    amount = fields.BigIntField()  # what the customer gets back
    restocking_fee = fields.BigIntField(default=0)  # kept back, on top of `amount`
    currency = fields.CharField(max_length=3)
    reason = fields.TextField(default="")
    status = fields.CharField(max_length=10, default="pending")
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="refunds", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    order_id: int
    request_id: int | None
    created_by_id: int | None

    class Meta:
        table = "aftersales_refund"
        indexes = (("tenant_id", "order_id", "created_at"), ("request_id",), ("created_by_id",))
