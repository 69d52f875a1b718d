"""Refunds: exact integer money in the order's currency, never more than is left to refund.

Refundable = what was paid (the order total once paid; nothing for an order never paid) - every
refund not failed. A restocking fee (from the return's policy
snapshot: basis points of the returned goods' value, rounded half-even, plus a fixed part) lowers
what this refund may give back. The order row is locked for the check and the write, so two agents
refunding at once cannot together exceed the total. The refund is written with an audit entry and an
outbox event "aftersales.refund_created" that payment connectors act on (once per event).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from core import audit, events, money
from core.auth.principal import Principal
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import Refund, ReturnLine, ReturnRequest
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.returns.requests import get_order, get_return, move
from modules.crm.models import Order, OrderLine

REFUNDABLE_RETURN_STATUSES = ("approved", "received", "refunded")
MAX_REASON = 1000


@dataclass
class RefundInput:
    order_id: int
    reason: str
    amount: Decimal | str | None = None
    full: bool = False
    return_id: int | None = None
    apply_restocking_fee: bool = False


async def refunded(tenant_id: int, order_id: int) -> int:
    """What was already given back on the order (failed refunds excluded)."""
    # An order has a handful of refunds: summing them here is exact and as cheap as SUM().
    return sum(r.amount for r in await scoped(Refund, tenant_id).filter(order_id=order_id).exclude(status="failed"))


# Statuses that mean the customer paid (an imported order may carry no paid_at).
PAID_STATUSES = ("paid", "shipped", "delivered", "refunded")


def paid_amount(order: Order) -> int:
    """What the customer actually paid: the total once paid; nothing for an order never paid (pending,
    or cancelled before payment). Only paid money can be given back."""
    return order.total if order.paid_at is not None or order.status in PAID_STATUSES else 0


def refundable_amount(order: Order, given: int) -> int:
    return max(paid_amount(order) - given, 0)


async def refundable(tenant_id: int, order: Order) -> int:
    return refundable_amount(order, await refunded(tenant_id, order.id))


def _half_even_div(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient


async def restocking_fee(tenant_id: int, request: ReturnRequest) -> int:
    """The fee the request's policy allows: a share of the returned goods' value plus a fixed part,
    never more than that value."""
    lines = await scoped(ReturnLine, tenant_id).filter(request_id=request.id).values_list("order_line_id", "quantity")
    prices = dict(await scoped(OrderLine, tenant_id).filter(id__in=[ol for ol, _ in lines])
                  .values_list("id", "unit_price"))
    value = sum(int(prices.get(ol, 0)) * int(qty) for ol, qty in lines)
    fee = _half_even_div(value * request.restocking_fee_bp, 10_000) + request.restocking_fee_fixed
    return min(fee, value)


def _check(data: RefundInput) -> str:
    reason = data.reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise aftersales_error("INVALID_REASON", N_("Give a reason of 1 to {max} characters."), ["reason"],
                           max=MAX_REASON)
    if data.full == (data.amount is not None):
        raise aftersales_error("AMOUNT_OR_FULL", N_("Give either an amount or full: true."), ["amount"])
    if data.apply_restocking_fee and data.return_id is None:
        raise aftersales_error("FEE_NEEDS_RETURN", N_("A restocking fee applies only to a refund for a return."),
                           ["applyRestockingFee"])
    return reason


async def create_refund(actor: Principal, data: RefundInput) -> Refund:
    reason = _check(data)
    tid = actor.tenant_id
    async with in_transaction():
        order = await get_order(tid, data.order_id, lock=True)
        request = None
        if data.return_id is not None:
            request = await get_return(tid, data.return_id, lock=True)
            if request.order_id != order.id:
                raise aftersales_error("RETURN_NOT_FOR_ORDER", N_("This return is for another order."), ["returnId"])
            if request.status not in REFUNDABLE_RETURN_STATUSES:
                raise aftersales_error("RETURN_NOT_REFUNDABLE",
                                       N_("Only an approved or received return can be refunded."), ["returnId"])
        amount = None if data.amount is None else money.to_minor(data.amount, order.currency, ["amount"])
        if amount is not None and amount <= 0:
            raise aftersales_error("AMOUNT_NOT_POSITIVE", N_("A refund is more than zero."), ["amount"])
        if paid_amount(order) == 0:
            raise aftersales_error("ORDER_NOT_PAID", N_("This order was never paid: there is nothing to refund."),
                                   ["orderId"])
        fee = await restocking_fee(tid, request) if request is not None and data.apply_restocking_fee else 0
        left = await refundable(tid, order) - fee
        if left <= 0:
            raise aftersales_error("NOTHING_TO_REFUND", N_("Nothing is left to refund on this order."), ["orderId"])
        if amount is None:
            amount = left
        elif amount > left:
            raise aftersales_error("REFUND_EXCEEDS_REFUNDABLE", N_("At most {amount} {currency} can be refunded."),
                               ["amount"], amount=str(money.to_decimal(left, order.currency)), currency=order.currency)
        refund = await Refund.create(tenant_id=tid, order_id=order.id, request_id=request.id if request else None,
                                     amount=amount, restocking_fee=fee, currency=order.currency, reason=reason,
                                     created_by_id=actor.user_id)
        if request is not None and request.status == "received":
            await move(actor, request, "refunded")
        payload = {"refund_id": refund.id, "order_id": order.id, "customer_id": order.customer_id,
                   "return_id": refund.request_id, "amount": amount,
                   "restocking_fee": fee, "currency": order.currency}
        await audit.record(actor, tid, "refund.create", "Refund", refund.id, None, {**payload, "reason": reason})
        await events.emit("aftersales.refund_created", payload, tid)
    return refund


async def latest_refund(tenant_id: int, order_id: int) -> Refund | None:
    """The newest refund of an order that did not fail (for macros' {{ refund.amount }})."""
    return await scoped(Refund, tenant_id).filter(order_id=order_id).exclude(status="failed") \
        .order_by("-created_at", "-id").first()


async def set_refund_status(tenant_id: int, refund_id: int, status: str) -> Refund:
    """A payment connector's answer: a pending refund succeeded or failed (a failed one frees its amount)."""
    if status not in ("succeeded", "failed"):
        raise aftersales_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["status"],
                               choices="succeeded, failed")
    async with in_transaction():
        refund = await scoped(Refund, tenant_id).filter(id=refund_id).select_for_update().first()
        if refund is None:
            raise aftersales_error("NOT_FOUND", N_("No such refund."), ["refundId"])
        if refund.status != "pending":
            raise aftersales_error("REFUND_SETTLED", N_("This refund is already settled."), ["refundId"])
        refund.status = status
        await refund.save(update_fields=["status"])
        await audit.record(None, tenant_id, f"refund.{status}", "Refund", refund.id, {"status": "pending"},
                           {"status": status}, via="connector")
    return refund
