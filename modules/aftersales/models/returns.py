"""Return requests (returns, exchanges, repairs), their lines, replacement lines and repairs.

A request snapshots what its policy said at creation (who pays shipping, restocking fee), so a
later policy change never changes a decision already shown to the customer.
"""

from typing import Any

from tortoise import fields

from core.models import TenantModel

RETURN_KINDS = ("return", "exchange", "repair")
RETURN_STATUSES = ("requested", "approved", "rejected", "cancelled", "received", "refunded", "exchanged",
                   "repaired", "closed")
SUGGESTIONS = ("approve", "reject", "review")
REASON_CODES = ("damaged", "wrong_item", "not_as_described", "no_longer_needed", "size_fit", "defective", "other")
CONDITIONS = ("new", "opened", "used", "damaged")
REPAIR_STATUSES = ("received", "diagnosing", "repairing", "repaired", "returned_to_customer", "unrepairable")


class ReturnRequest(TenantModel):
    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "crm.Order", related_name="return_requests", on_delete=fields.CASCADE)
    customer: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "crm.Customer", related_name="return_requests", null=True, on_delete=fields.SET_NULL)
    ticket: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "aftersales.Ticket", related_name="return_requests", null=True, on_delete=fields.SET_NULL)
    kind = fields.CharField(max_length=8, default="return")
    status = fields.CharField(max_length=12, default="requested")
    suggestion = fields.CharField(max_length=8)
    suggestion_reasons: Any = fields.JSONField(default=list)  # [{"code", "params"}], translated when read
    note = fields.TextField(default="")
    decision_reason = fields.TextField(default="")
    window_overridden = fields.BooleanField(default=False)
    return_shipping_paid_by = fields.CharField(max_length=8, default="customer")
    restocking_fee_bp = fields.IntField(default=0)
    restocking_fee_fixed = fields.BigIntField(default=0)  # in the order's currency (0 when the policy's differs)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="return_requests", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    decided_at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField(null=True)
    order_id: int
    customer_id: int | None
    ticket_id: int | None
    created_by_id: int | None

    class Meta:
        table = "aftersales_return"
        indexes = (("tenant_id", "created_at", "id"), ("tenant_id", "status", "created_at"),
                   ("tenant_id", "order_id"), ("tenant_id", "customer_id"), ("ticket_id",), ("created_by_id",))


class ReturnLine(TenantModel):
    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[ReturnRequest] = fields.ForeignKeyField(
        "aftersales.ReturnRequest", related_name="lines", on_delete=fields.CASCADE)
    order_line: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "crm.OrderLine", related_name="return_lines", on_delete=fields.CASCADE)
    quantity = fields.IntField()
    reason_code = fields.CharField(max_length=20)
    condition = fields.CharField(max_length=8)
    photos: Any = fields.JSONField(default=list)  # [{"name", "contentType", "size", "url"}]
    request_id: int
    order_line_id: int

    class Meta:
        table = "aftersales_return_line"
        indexes = (("request_id",), ("order_line_id",))


class ExchangeLine(TenantModel):
    """A replacement to ship for a returned line (same product, or another size/colour by SKU)."""

    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[ReturnRequest] = fields.ForeignKeyField(
        "aftersales.ReturnRequest", related_name="exchange_lines", on_delete=fields.CASCADE)
    return_line: fields.ForeignKeyRelation[ReturnLine] = fields.ForeignKeyField(
        "aftersales.ReturnLine", related_name="exchange_lines", on_delete=fields.CASCADE)
    product: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "crm.Product", related_name="exchange_lines", null=True, on_delete=fields.SET_NULL)
    sku = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255, default="")
    quantity = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    request_id: int
    return_line_id: int
    product_id: int | None

    class Meta:
        table = "aftersales_exchange_line"
        indexes = (("request_id",), ("return_line_id",), ("product_id",))


class Repair(TenantModel):
    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[ReturnRequest] = fields.ForeignKeyField(
        "aftersales.ReturnRequest", related_name="repairs", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=24, default="received")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    request_id: int

    class Meta:
        table = "aftersales_repair"
        unique_together = (("request",),)  # one repair per request


class RepairEvent(TenantModel):
    id = fields.BigIntField(primary_key=True)
    repair: fields.ForeignKeyRelation[Repair] = fields.ForeignKeyField(
        "aftersales.Repair", related_name="events", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=24)
    note = fields.TextField(default="")
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="repair_events", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    repair_id: int
    actor_id: int | None

    class Meta:
        table = "aftersales_repair_event"
        indexes = (("repair_id", "created_at"), ("actor_id",))
