"""The connector's pure parts: the shop's address (no SSRF through a tenant's setting), the search
filter in UTC, and webhook payloads read whatever offset their times carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from modules.shopify import mapping, queries, shop
from modules.shopify.connector import CONNECTOR
from modules.shopify.signature import sign
from modules.sync.services.errors import SyncError


@pytest.mark.parametrize(("given", "name"), [
    ("acme-eu", "acme-eu"), ("ACME-EU.myshopify.com", "acme-eu"), ("https://acme-eu.myshopify.com/", "acme-eu"),
    ("evil.example.com", None), ("acme.myshopify.com.evil.example", None), ("127.0.0.1:8080", None),
    ("acme/../admin", None), ("", None), (None, None), ("-acme", None)])
def test_a_tenant_names_only_a_myshopify_shop(given: object, name: str | None) -> None:
    assert shop.shop_name(given) == name


def test_the_url_is_the_shop_s_unless_the_operator_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(shop.BASE_URL_ENV, raising=False)
    assert shop.graphql_url({"shop": "acme"}) == f"https://acme.myshopify.com/admin/api/{shop.API_VERSION}/graphql.json"
    monkeypatch.setenv(shop.BASE_URL_ENV, "http://127.0.0.1:9999/")
    assert shop.graphql_url({"shop": "acme"}).startswith("http://127.0.0.1:9999/admin/api/")
    with pytest.raises(SyncError) as refused:
        shop.graphql_url({"shop": "evil.example.com"})
    assert refused.value.code == "NOT_CONFIGURED"


def test_the_incremental_filter_is_in_utc() -> None:
    since = datetime(2026, 3, 1, 11, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    assert queries.updated_after(since) == "updated_at:>'2026-03-01T09:30:05Z'"
    assert queries.updated_after(None) is None


def test_webhook_times_with_any_offset_become_utc_and_money_stays_decimal_strings() -> None:
    payload = {"id": 42, "name": "#42", "email": "a@example.jp", "currency": "JPY", "financial_status": "paid",
               "created_at": "2026-03-01T18:00:00+09:00", "updated_at": "2026-03-01T09:05:00", "total_price": "1200",
               "subtotal_price": "1000", "total_tax": "200", "total_discounts": "0",
               "customer": {"id": 7, "email": "a@example.jp", "first_name": "Aiko", "last_name": "Sato",
                            "updated_at": "2026-03-01T17:00:00+09:00"},
               "line_items": [{"id": 1, "sku": None, "name": "Tea", "quantity": 2, "price": "500"}]}
    customer, order = CONNECTOR.records("orders/updated", payload)
    assert (customer.resource, customer.external_id, customer.updated_at) == (
        "customers", "7", datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    assert (order.external_id, order.updated_at) == ("42", datetime(2026, 3, 1, 9, 5, tzinfo=UTC))
    assert order.cells["placed_at"] == "2026-03-01T09:00:00+00:00"
    assert (order.cells["total"], order.cells["status"], order.cells["customer_external_id"]) == ("1200", "paid", "7")
    assert order.cells["lines"] == [{"sku": "SHOPIFY-1", "product_name": "Tea", "quantity": "2", "unit_price": "500"}]
    assert CONNECTOR.records("products/update", payload) == []
    with pytest.raises(ValueError):
        CONNECTOR.records("orders/create", {"name": "no id"})
    with pytest.raises(ValueError):
        mapping.utc(None)


def test_the_signature_is_checked_over_the_exact_bytes() -> None:
    raw = b'{"id": 1}'
    secret = {"webhook_secret": "s3cret"}
    assert CONNECTOR.verify(raw, sign(raw, "s3cret"), secret)
    assert not CONNECTOR.verify(raw + b" ", sign(raw, "s3cret"), secret)
    assert not CONNECTOR.verify(raw, sign(raw, "s3cret"), {})  # no secret set: nothing verifies
