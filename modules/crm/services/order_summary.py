"""An order as other modules may read it: its customer, status, money and how many units it holds.

Modules that act on an order's events (loyalty earning points, say) read the order here, never
crm's tables. The money is integer minor units of the order's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Sum

from core.tenancy import scoped
from modules.crm.models import Order, OrderLine


@dataclass(frozen=True)
class OrderSummary:
    id: int
    customer_id: int | None
    status: str
    currency: str
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    quantity: int  # units over all lines
    placed_at: datetime
    paid_at: datetime | None

    @property
    def net(self) -> int:
        """The goods less their discount: no shipping, no tax."""
        return max(self.subtotal - self.discount, 0)


async def order_summary(tenant_id: int, order_id: int) -> OrderSummary | None:
    """The tenant's order, or None. Two queries."""
    order = await scoped(Order, tenant_id).filter(id=order_id).first()
    if order is None:
        return None
    units = await scoped(OrderLine, tenant_id).filter(order_id=order_id).annotate(n=Sum("quantity")).values("n")
    return OrderSummary(id=order.id, customer_id=order.customer_id, status=order.status, currency=order.currency,
                        subtotal=order.subtotal, discount=order.discount, shipping=order.shipping, tax=order.tax,
                        total=order.total, quantity=int(units[0]["n"] or 0) if units else 0, placed_at=order.placed_at,
                        paid_at=order.paid_at)
