"""The Admin GraphQL queries: orders (with lines and their customer) and customers, oldest update
first (`sortKey: UPDATED_AT`), filtered by `updated_at:>'<UTC>'`, a page of PAGE_SIZE at a time."""

from __future__ import annotations

from datetime import UTC, datetime

PAGE_SIZE = 50
MAX_LINES = 100

_MONEY = "shopMoney { amount currencyCode }"
_CUSTOMER = "id email firstName lastName updatedAt"

ORDERS = f"""query SyncOrders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id name email createdAt updatedAt cancelledAt currencyCode
      displayFinancialStatus displayFulfillmentStatus
      subtotalPriceSet {{ {_MONEY} }} totalPriceSet {{ {_MONEY} }} totalShippingPriceSet {{ {_MONEY} }}
      totalTaxSet {{ {_MONEY} }} totalDiscountsSet {{ {_MONEY} }}
      customer {{ {_CUSTOMER} }}
      lineItems(first: {MAX_LINES}) {{ nodes {{ id sku name quantity originalUnitPriceSet {{ {_MONEY} }} }} }}
    }}
  }}
}}"""

CUSTOMERS = f"""query SyncCustomers($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {_CUSTOMER} defaultAddress {{ countryCodeV2 }} }}
  }}
}}"""

BY_RESOURCE = {"orders": ("orders", ORDERS), "customers": ("customers", CUSTOMERS)}


def updated_after(since: datetime | None) -> str | None:
    """The search filter of an incremental run, in UTC as Shopify's search syntax takes it."""
    if since is None:
        return None
    return f"updated_at:>'{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
