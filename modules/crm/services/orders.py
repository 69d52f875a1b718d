"""Orders entered by hand (phone, e-mail, a marketplace without sync): the same rules as imports.

Money arrives as decimal strings in the order's currency and is stored as integer minor units; the
subtotal is the lines' sum, the total subtotal + shipping + tax - discount (never negative). An
order's external id is unique per (tenant, channel); products are matched or created by SKU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from core import audit, money, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Order, OrderLine, Product, SalesChannel
from modules.crm.models.order import ORDER_STATUSES
from modules.crm.services.customers import _err, get_customer

MAX_LINES = 500
MAX_QUANTITY = 1_000_000
STATUS_TIMES = {"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"}


@dataclass
class LineData:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal | str


@dataclass
class OrderData:
    customer_id: int
    number: str
    currency: str
    lines: Sequence[LineData]
    channel_id: int | None = None
    external_id: str | None = None
    status: str = "pending"
    placed_at: datetime | None = None
    shipping: Decimal | str = "0"
    tax: Decimal | str = "0"
    discount: Decimal | str = "0"


def _amount(errors: list[UserFacingError], value: Decimal | str, currency: str | None, path: list[str]) -> int:
    if currency is None:
        return 0
    minor = validation.collect(errors, money.to_minor, value, currency, path)
    if minor is not None and minor < 0:
        errors.append(_err("NEGATIVE_AMOUNT", N_("An amount cannot be negative."), path))
    return minor or 0


async def create_order(actor: Principal, data: OrderData) -> Order:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    currency = validation.collect(errors, validation.currency, data.currency)
    number = data.number.strip()
    if not number or len(number) > 64:
        errors.append(_err("INVALID_NUMBER", N_("An order number has 1 to 64 characters."), ["number"]))
    if data.status not in ORDER_STATUSES:
        errors.append(_err("INVALID_CHOICE", N_("Choose one of: {choices}."), ["status"],
                           choices=", ".join(ORDER_STATUSES)))
    if not data.lines or len(data.lines) > MAX_LINES:
        errors.append(_err("INVALID_LINES", N_("An order has 1 to {max} lines."), ["lines"], max=MAX_LINES))
    subtotal = 0
    for i, line in enumerate(data.lines[:MAX_LINES]):
        path = ["lines", str(i)]
        if not line.sku.strip() or len(line.sku) > 64:
            errors.append(_err("INVALID_SKU", N_("A SKU has 1 to 64 characters."), [*path, "sku"]))
        if not 0 < line.quantity <= MAX_QUANTITY:
            errors.append(_err("INVALID_QUANTITY", N_("A quantity is between 1 and {max}."), [*path, "quantity"],
                               max=MAX_QUANTITY))
        subtotal += _amount(errors, line.unit_price, currency, [*path, "unitPrice"]) * max(line.quantity, 0)
    extras = {name: _amount(errors, getattr(data, name), currency, [name]) for name in ("shipping", "tax", "discount")}
    total = subtotal + extras["shipping"] + extras["tax"] - extras["discount"]
    if currency and total < 0:
        errors.append(_err("NEGATIVE_TOTAL", N_("The discount is larger than the order."), ["discount"]))
    external_id = (data.external_id or "").strip() or None
    async with in_transaction():
        await get_customer(tid, data.customer_id)
        if data.channel_id is not None and not await scoped(SalesChannel, tid).filter(id=data.channel_id).exists():
            errors.append(_err("NOT_FOUND", N_("No such sales channel."), ["channelId"]))
        same = scoped(Order, tid).filter(channel_id=data.channel_id, external_id=external_id)
        if external_id and await same.exists():
            errors.append(_err("ORDER_EXISTS", N_("This channel already has an order {id}."), ["externalId"],
                               id=external_id))
        if errors:
            raise UserFacingErrors(errors)
        assert currency is not None
        placed = data.placed_at or datetime.now(UTC)
        order = Order(
            tenant_id=tid, customer_id=data.customer_id, channel_id=data.channel_id, external_id=external_id,
            number=number, status=data.status, currency=currency, subtotal=subtotal, total=total,
            shipping=extras["shipping"], tax=extras["tax"], discount=extras["discount"], placed_at=placed)
        # An order entered as shipped was also paid: the earlier steps get the same time.
        for status, column in STATUS_TIMES.items():
            if data.status in STATUS_TIMES and ORDER_STATUSES.index(data.status) >= ORDER_STATUSES.index(status):
                setattr(order, column, placed)
        await order.save()
        for line in data.lines:
            product, _ = await Product.get_or_create(tenant_id=tid, sku=line.sku.strip(),
                                                     defaults={"name": line.name.strip()[:255]})
            await OrderLine.create(tenant_id=tid, order_id=order.id, product_id=product.id, sku=product.sku,
                                   name=line.name.strip()[:255] or product.name, quantity=line.quantity,
                                   unit_price=money.to_minor(line.unit_price, currency), currency=currency)
        await audit.record(actor, tid, "order.create", "Order", order.id, None,
                           {"number": number, "currency": currency, "total": total, "lines": len(data.lines)})
    return order
