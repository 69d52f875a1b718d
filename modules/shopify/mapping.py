"""Shopify's orders and customers as sync records (crm import cells): from the GraphQL API's nodes,
and from webhooks' REST-shaped payloads, which are first put in the nodes' shape.

Ids are the numeric part of the GID (`gid://shopify/Order/123` and a webhook's `id` 123 are one
order); money stays the decimal strings Shopify sends (crm parses them in the order's currency);
times are converted to UTC whatever offset they carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modules.sync.services.connectors import Record


def numeric_id(gid: Any) -> str:
    text = str(gid or "")
    return text.rsplit("/", 1)[-1]


def utc(value: Any) -> datetime:
    """An ISO 8601 time from Shopify in UTC (a time without offset is taken as UTC); ValueError if none."""
    if not isinstance(value, str) or not value:
        raise ValueError("missing time")
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def _amount(money_set: Any) -> str:
    if not isinstance(money_set, Mapping):
        return ""
    shop = money_set.get("shopMoney") or {}
    return str(shop.get("amount") or "")


def _status(node: Mapping[str, Any]) -> str:
    financial = str(node.get("displayFinancialStatus") or "").upper()
    if node.get("cancelledAt"):
        return "cancelled"
    if financial == "REFUNDED":
        return "refunded"
    if str(node.get("displayFulfillmentStatus") or "").upper() == "FULFILLED":
        return "shipped"
    if financial in ("PAID", "PARTIALLY_REFUNDED"):
        return "paid"
    return "pending"


def customer_record(node: Mapping[str, Any]) -> Record:
    country = ((node.get("defaultAddress") or {}).get("countryCodeV2") or "")
    cells = {"external_id": numeric_id(node.get("id")), "email": node.get("email") or "",
             "first_name": node.get("firstName") or "", "last_name": node.get("lastName") or "",
             "country": country}
    return Record("customers", cells["external_id"], utc(node.get("updatedAt")), cells)


def order_records(node: Mapping[str, Any]) -> list[Record]:
    """The order and, when it has one, its customer (a buyer seen first here is created)."""
    customer = node.get("customer")
    records = [customer_record(customer)] if isinstance(customer, Mapping) and customer.get("id") else []
    lines = []
    for line in (node.get("lineItems") or {}).get("nodes") or []:
        line_id = numeric_id(line.get("id"))
        lines.append({"sku": (line.get("sku") or "").strip() or f"SHOPIFY-{line_id}",
                      "product_name": line.get("name") or "", "quantity": str(line.get("quantity") or 0),
                      "unit_price": _amount(line.get("originalUnitPriceSet"))})
    external_id = numeric_id(node.get("id"))
    cells: dict[str, Any] = {
        "external_id": external_id, "number": node.get("name") or "",
        "customer_external_id": numeric_id(customer.get("id")) if records and customer else "",
        "customer_email": "" if records else (node.get("email") or ""),
        "status": _status(node), "currency": node.get("currencyCode") or "",
        "total": _amount(node.get("totalPriceSet")), "subtotal": _amount(node.get("subtotalPriceSet")),
        "shipping": _amount(node.get("totalShippingPriceSet")), "tax": _amount(node.get("totalTaxSet")),
        "discount": _amount(node.get("totalDiscountsSet")),
        "placed_at": utc(node.get("createdAt")).isoformat(), "lines": lines}
    return [*records, Record("orders", external_id, utc(node.get("updatedAt")), cells)]


def _money(amount: Any, currency: Any) -> dict[str, Any]:
    return {"shopMoney": {"amount": str(amount if amount is not None else ""), "currencyCode": currency}}


def node_of_webhook(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An orders/create or orders/updated payload (REST shape) in the GraphQL node's shape."""
    currency = payload.get("currency")
    customer = payload.get("customer")
    shipping = ((payload.get("total_shipping_price_set") or {}).get("shop_money") or {}).get("amount")
    return {
        "id": payload["id"], "name": payload.get("name"), "email": payload.get("email"),
        "createdAt": payload.get("created_at"), "updatedAt": payload.get("updated_at"),
        "cancelledAt": payload.get("cancelled_at"), "currencyCode": currency,
        "displayFinancialStatus": str(payload.get("financial_status") or "").upper(),
        "displayFulfillmentStatus": str(payload.get("fulfillment_status") or "").upper(),
        "subtotalPriceSet": _money(payload.get("subtotal_price"), currency),
        "totalPriceSet": _money(payload.get("total_price"), currency),
        "totalShippingPriceSet": _money(shipping or "0", currency),
        "totalTaxSet": _money(payload.get("total_tax"), currency),
        "totalDiscountsSet": _money(payload.get("total_discounts"), currency),
        "customer": {"id": customer.get("id"), "email": customer.get("email"),
                     "firstName": customer.get("first_name"), "lastName": customer.get("last_name"),
                     "updatedAt": customer.get("updated_at")} if isinstance(customer, Mapping) else None,
        "lineItems": {"nodes": [
            {"id": x.get("id"), "sku": x.get("sku"), "name": x.get("name"), "quantity": x.get("quantity"),
             "originalUnitPriceSet": _money(x.get("price"), currency)} for x in payload.get("line_items") or []]},
    }
