"""A buyer proving who they are without an account: an order number and the e-mail address or
phone number of the customer who placed it (the buyers' self-service portal asks this)."""

from __future__ import annotations

from dataclasses import dataclass

from modules.crm.services.contacts import customers_with
from modules.crm.services.orders import find_customer_order


@dataclass(frozen=True)
class BuyerOrder:
    customer_id: int
    order_id: int


async def find_buyer_order(tenant_id: int, number: str, *, email: str | None = None, phone: str | None = None,
                           region: str | None = None) -> BuyerOrder | None:
    """The order with this number (as the buyer types it, `#` or not) of a customer holding this
    e-mail address (else this phone number, read in `region` when it has no country code); None
    otherwise, whichever part was wrong, so an answer never tells that an order number exists."""
    kind, value = ("email", email) if email else ("phone", phone or "")
    for customer_id in await customers_with(tenant_id, kind, value, region):
        order_id = await find_customer_order(tenant_id, customer_id, number)
        if order_id is not None:
            return BuyerOrder(customer_id, order_id)
    return None
