"""Products, orders and their lines. Money is integer minor units plus an ISO 4217 currency."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models.channel import SalesChannel
from modules.crm.models.customer import Customer

ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")


class Product(TenantModel):
    id = fields.BigIntField(primary_key=True)
    sku = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    category = fields.CharField(max_length=100, default="")

    class Meta:
        table = "crm_product"
        unique_together = (("tenant", "sku"),)


class Order(TenantModel):
    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="orders", null=True, on_delete=fields.SET_NULL)
    channel: fields.ForeignKeyNullableRelation[SalesChannel] = fields.ForeignKeyField(
        "crm.SalesChannel", related_name="orders", null=True, on_delete=fields.SET_NULL)
    external_id = fields.CharField(max_length=128, null=True)
    number = fields.CharField(max_length=64, db_index=True)
    status = fields.CharField(max_length=16, default="pending")
    currency = fields.CharField(max_length=3)
    subtotal = fields.BigIntField(default=0)
    shipping = fields.BigIntField(default=0)
    tax = fields.BigIntField(default=0)
    discount = fields.BigIntField(default=0)
    total = fields.BigIntField(default=0)
    placed_at = fields.DatetimeField(db_index=True)
    paid_at = fields.DatetimeField(null=True)
    shipped_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    carrier = fields.CharField(max_length=64, default="")
    tracking_number = fields.CharField(max_length=64, default="")
    customer_id: int | None
    channel_id: int | None

    class Meta:
        table = "crm_order"
        unique_together = (("tenant", "channel", "external_id"),)
        # A customer's orders, newest first (360 view, recent orders, stats, RFM).
        indexes = (("tenant_id", "customer_id", "placed_at"),)


class OrderLine(TenantModel):
    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "crm.Order", related_name="lines", on_delete=fields.CASCADE)
    product: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "crm.Product", related_name="lines", null=True, on_delete=fields.SET_NULL)
    sku = fields.CharField(max_length=64, default="")
    name = fields.CharField(max_length=255, default="")
    quantity = fields.IntField()
    unit_price = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    order_id: int
    product_id: int | None

    class Meta:
        table = "crm_order_line"
        indexes = (("order_id",), ("product_id",))  # foreign keys (tests/test_indexes.py)
