"""What of an order can still be returned, and on which terms: the view a buyer gets before asking
for a return (the buyers' portal), from the same rules `create_return` applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.tenancy import scoped
from modules.aftersales.services.returns.policies import PolicyBook, Terms
from modules.aftersales.services.returns.requests import (
    destination_country,
    get_order,
    line_categories,
    return_deadline,
    returned_quantities,
)
from modules.crm.models import Order, OrderLine

NOT_RETURNABLE = ("pending", "cancelled")  # order statuses with nothing to return (create_return's rule)


@dataclass(frozen=True)
class ReturnableLine:
    line: OrderLine
    category: str
    terms: Terms  # the policy that decides for this line (its category, the buyer's country)
    deadline: datetime
    claimed: int  # items other open requests already hold

    @property
    def excluded(self) -> bool:
        """Its category cannot be returned at all."""
        return bool(self.category) and self.category in self.terms.non_returnable_categories

    @property
    def left(self) -> int:
        return max(0, self.line.quantity - self.claimed)

    def obstacle(self, order: Order, now: datetime) -> str | None:
        """Why no item of this line can be asked back (create_return's error or reason code), or None."""
        if order.status in NOT_RETURNABLE:
            return "ORDER_NOT_RETURNABLE"
        if self.excluded:
            return "NON_RETURNABLE_CATEGORY"
        if now > self.deadline:
            return "RETURN_WINDOW_EXPIRED"
        return "QUANTITY_EXCEEDS_RETURNABLE" if self.left == 0 else None

    def returnable(self, order: Order, now: datetime) -> int:
        """How many items a request may still name."""
        return 0 if self.obstacle(order, now) else self.left


@dataclass(frozen=True)
class ReturnableOrder:
    order: Order
    country: str | None  # where the goods went (destination_country)
    terms: Terms  # the policy for that country, whatever the category
    lines: list[ReturnableLine]

    def returnable(self, line: ReturnableLine) -> int:
        return line.returnable(self.order, datetime.now(UTC))

    def obstacle(self, line: ReturnableLine) -> str | None:
        return line.obstacle(self.order, datetime.now(UTC))


async def returnable_order(tenant_id: int, order_id: int) -> ReturnableOrder:
    """The order, each line with its terms, deadline and what other requests claim (five queries);
    NOT_FOUND for an order of another tenant."""
    order = await get_order(tenant_id, order_id)
    lines = await scoped(OrderLine, tenant_id).filter(order_id=order.id).order_by("id")
    categories = await line_categories(tenant_id, lines)
    claimed = await returned_quantities(tenant_id, [ol.id for ol in lines])
    book = await PolicyBook.load(tenant_id)
    country = await destination_country(tenant_id, order.customer_id)
    items = []
    for ol in lines:
        terms = book.terms(country, categories[ol.id])
        items.append(ReturnableLine(ol, categories[ol.id], terms, return_deadline(order, terms), claimed.get(ol.id, 0)))
    return ReturnableOrder(order, country, book.terms(country, None), items)
