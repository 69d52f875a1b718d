"""Orders entered by hand (phone, e-mail, a marketplace without sync): the same rules as imports.

Money arrives as decimal strings in the order's currency and is stored as integer minor units; the
subtotal is the lines' sum, the total subtotal + shipping + tax - discount (never negative). An
order's external id is unique per (tenant, channel); products are matched or created by SKU.
Updates (update_order) move an order along its statuses and set the time of each step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, events, money, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Order, OrderLine, Product, SalesChannel
from modules.crm.models.order import ORDER_STATUSES
from modules.crm.services.customers import get_customer
from modules.crm.services.errors import crm_error

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
        errors.append(crm_error("NEGATIVE_AMOUNT", N_("An amount cannot be negative."), path))
        return 0  # already reported: it must not also make the total look negative (NEGATIVE_TOTAL)
    return minor or 0


async def create_order(actor: Principal, data: OrderData) -> Order:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    currency = validation.collect(errors, validation.currency, data.currency)
    number = data.number.strip()
    if not number or len(number) > 64:
        errors.append(crm_error("INVALID_NUMBER", N_("An order number has 1 to 64 characters."), ["number"]))
    if data.status not in ORDER_STATUSES:
        errors.append(crm_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["status"],
                                choices=", ".join(ORDER_STATUSES)))
    if not data.lines or len(data.lines) > MAX_LINES:
        errors.append(crm_error("INVALID_LINES", N_("An order has 1 to {max} lines."), ["lines"], max=MAX_LINES))
    subtotal = 0
    for i, line in enumerate(data.lines[:MAX_LINES]):
        path = ["lines", str(i)]
        if not line.sku.strip() or len(line.sku) > 64:
            errors.append(crm_error("INVALID_SKU", N_("A SKU has 1 to 64 characters."), [*path, "sku"]))
        if not 0 < line.quantity <= MAX_QUANTITY:
            errors.append(crm_error("INVALID_QUANTITY", N_("A quantity is between 1 and {max}."), [*path, "quantity"],
                                    max=MAX_QUANTITY))
        subtotal += _amount(errors, line.unit_price, currency, [*path, "unitPrice"]) * max(line.quantity, 0)
    extras = {name: _amount(errors, getattr(data, name), currency, [name]) for name in ("shipping", "tax", "discount")}
    total = subtotal + extras["shipping"] + extras["tax"] - extras["discount"]
    if currency and total < 0:
        errors.append(crm_error("NEGATIVE_TOTAL", N_("The discount is larger than the order."), ["discount"]))
    external_id = (data.external_id or "").strip() or None
    async with in_transaction():
        await get_customer(tid, data.customer_id)
        if data.channel_id is not None and not await scoped(SalesChannel, tid).filter(id=data.channel_id).exists():
            errors.append(crm_error("NOT_FOUND", N_("No such sales channel."), ["channelId"]))
        same = scoped(Order, tid).filter(channel_id=data.channel_id, external_id=external_id)
        if external_id and await same.exists():
            errors.append(crm_error("ORDER_EXISTS", N_("This channel already has an order {id}."), ["externalId"],
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
        await events.emit(CREATED, order_facts(order), tenant_id=tid)
    return order


CREATED = "crm.order.created"


def order_facts(order: Order) -> dict[str, Any]:
    """What an order's events carry (the fields its automation triggers declare): ids, amounts and
    codes, no contact data."""
    return {"order_id": order.id, "customer_id": order.customer_id, "status": order.status, "total": order.total,
            "currency": order.currency, "channel_id": order.channel_id}


# --- updates: status, shipping details and the times of each step ---------------------------------

# The steps an order may take; cancelled and refunded are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("paid", "cancelled"),
    "paid": ("shipped", "cancelled", "refunded"),
    "shipped": ("delivered", "refunded"),
    "delivered": ("refunded",),
    "cancelled": (),
    "refunded": (),
}
# Which status an order must have reached for each time to be set (the chain pending -> delivered).
REACHED = {"paid_at": "paid", "shipped_at": "shipped", "delivered_at": "delivered"}
CHAIN = ("pending", "paid", "shipped", "delivered")
CAMEL = {"carrier": "carrier", "paid_at": "paidAt", "shipped_at": "shippedAt", "delivered_at": "deliveredAt",
         "tracking_number": "trackingNumber"}  # input field names, for error paths
CLOCK_SKEW = timedelta(minutes=5)
STATUS_CHANGED = "crm.order.status_changed"


@dataclass
class OrderUpdate:
    """What updateOrder changes; None leaves a field as it is."""

    status: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None


def _reached(status: str, step: str) -> bool:
    """Whether an order in `status` went through `step` (a refunded order may have been delivered: its
    earlier times are kept, so they may still be corrected)."""
    if status in ("cancelled", "refunded"):
        return True
    return CHAIN.index(status) >= CHAIN.index(step)


def _plan(order: Order, change: OrderUpdate, now: datetime) -> dict[str, Any]:
    """The new column values, or UserFacingErrors naming every bad field."""
    errors: list[UserFacingError] = []
    values: dict[str, Any] = {}
    status = order.status
    if change.status is not None and change.status != order.status:
        if change.status not in ORDER_STATUSES:
            errors.append(crm_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["status"],
                                    choices=", ".join(ORDER_STATUSES)))
        elif change.status not in TRANSITIONS[order.status]:
            errors.append(crm_error("INVALID_TRANSITION", N_("An order cannot go from {current} to {wanted}."),
                                    ["status"], current=order.status, wanted=change.status))
        else:
            status = values["status"] = change.status
    for name in ("carrier", "tracking_number"):
        text = getattr(change, name)
        if text is not None:
            if len(text.strip()) > 64:
                errors.append(crm_error("TOO_LONG", N_("At most {max} characters."), [CAMEL[name]], max=64))
            values[name] = text.strip()
    times: dict[str, datetime | None] = {c: getattr(order, c) for c in REACHED}
    for column, step in REACHED.items():
        given = getattr(change, column)
        if given is not None:
            at = (given if given.tzinfo else given.replace(tzinfo=UTC)).astimezone(UTC)
            if not _reached(status, step):
                errors.append(crm_error("STEP_NOT_REACHED", N_("The order is not {step} yet."), [CAMEL[column]],
                                        step=step))
            elif at < order.placed_at:
                errors.append(crm_error("BEFORE_PLACED", N_("This is earlier than when the order was placed."),
                                        [CAMEL[column]]))
            elif at > now + CLOCK_SKEW:
                errors.append(crm_error("IN_FUTURE", N_("This is in the future."), [CAMEL[column]]))
            else:
                times[column] = values[column] = at
        elif status == step and times[column] is None:
            times[column] = values[column] = now  # the status moved to this step now
    steps = [c for c in REACHED if times[c] is not None]
    for earlier, later in zip(steps, steps[1:], strict=False):
        if later in values and times[later] < times[earlier]:  # type: ignore[operator]
            errors.append(crm_error("OUT_OF_ORDER", N_("This is earlier than {other}."), [CAMEL[later]],
                                    other=CAMEL[earlier]))
    if errors:
        raise UserFacingErrors(errors)
    return values


def _audited(order: Order, columns: Sequence[str]) -> dict[str, Any]:
    return {c: v.isoformat() if isinstance(v := getattr(order, c), datetime) else v for c in columns}


async def update_order(actor: Principal, order_id: int, change: OrderUpdate) -> Order:
    """Move an order along its statuses (TRANSITIONS), set its carrier and tracking number, and the
    time of each step: a step reached without a time given gets now. An audit entry and, when the
    status changed, a `crm.order.status_changed` event land in the same transaction."""
    tid = actor.tenant_id
    async with in_transaction():
        order = await scoped(Order, tid).filter(id=order_id).select_for_update().first()
        if order is None:
            raise crm_error("NOT_FOUND", N_("No such order."), ["orderId"])
        values = _plan(order, change, datetime.now(UTC))
        changed = [c for c, v in values.items() if getattr(order, c) != v]
        if not changed:
            return order
        before = _audited(order, changed)
        previous = order.status
        for column in changed:
            setattr(order, column, values[column])
        await order.save(update_fields=changed)
        await audit.record(actor, tid, "order.update", "Order", order.id, before, _audited(order, changed))
        if order.status != previous:
            await events.emit(STATUS_CHANGED, {**order_facts(order), "from": previous, "to": order.status},
                              tenant_id=tid)
    return order


async def find_customer_order(tenant_id: int, customer_id: int, *numbers: str) -> int | None:
    """The id of this customer's order with the first of these numbers that is theirs (as the buyer
    quotes it, `#` or not), or None: a number alone never links someone else's order. One query."""
    wanted = [n.strip() for n in numbers if n and n.strip()]
    variants = {n: [n, n.lstrip("#"), f"#{n.lstrip('#')}"] for n in wanted}
    candidates = sorted({v for vs in variants.values() for v in vs} - {"", "#"})
    if not candidates:
        return None
    rows = await (scoped(Order, tenant_id).filter(customer_id=customer_id, number__in=candidates)
                  .order_by("-placed_at", "-id").values_list("number", "id"))
    ids: dict[str, int] = {}
    for number, order_id in rows:
        ids.setdefault(str(number), int(order_id))  # the newest order of a number wins
    for number in wanted:
        for variant in variants[number]:
            if variant in ids:
                return ids[variant]
    return None
