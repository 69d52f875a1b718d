"""What the Shopify connector's tests share: the fake shop on a real port, a connected channel, runs
started and watched over GraphQL, and the database compared with the fake's data."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from strawberry import relay

from modules.crm.models import Customer, CustomerIdentity, Order, OrderLine
from modules.crm.services import primary_email
from tests.conftest import Api, TenantFixture
from tests.fixtures.live_server import serve
from tests.fixtures.shopify_server import FakeShopify

CREATE_CHANNEL = """mutation($i: CreateSalesChannelInput!) { createSalesChannel(input: $i) {
  channel { id } errors { code } } }"""
START = """mutation($i: StartSyncRunInput!) { startSyncRun(input: $i) {
  run { id status resource mode } errors { code field message } } }"""
RUNS = """query($c: ID!, $first: Int) { syncRuns(channelId: $c, first: $first) { edges { node {
  id status resource mode since pages records errors { code message } finishedAt
  counts { resource created updated unchanged failed stale } } } pageInfo { hasNextPage endCursor } } }"""
WEBHOOKS = """mutation($i: EnableSyncWebhooksInput!) { enableSyncWebhooks(input: $i) { path errors { code } } }"""
SECRET = "shpss_webhook_secret"


@dataclass
class Shop:
    channel_id: str  # global id
    pk: int
    tenant: TenantFixture


async def fake_shop() -> AsyncIterator[FakeShopify]:
    """The fake shop on a free port, the operator's SHOPIFY_API_BASE_URL pointing at it (a fixture: see
    the test files)."""
    shop = FakeShopify()
    before = os.environ.get("SHOPIFY_API_BASE_URL")
    async with serve(shop.app()) as address:
        os.environ["SHOPIFY_API_BASE_URL"] = f"http://{address}"  # the operator's setting
        yield shop
    if before is None:
        os.environ.pop("SHOPIFY_API_BASE_URL", None)
    else:
        os.environ["SHOPIFY_API_BASE_URL"] = before


async def connect(api: Api, tenant: TenantFixture, fake: FakeShopify, name: str = "Shopify EU") -> Shop:
    credentials = {"shop": "fake-shop", "access_token": fake.token, "webhook_secret": SECRET}
    data = await api.data(CREATE_CHANNEL, {"i": {"platform": "SHOPIFY", "name": name, "credentials": credentials}},
                          token=tenant.token)
    assert data["createSalesChannel"]["errors"] == []
    channel_id = data["createSalesChannel"]["channel"]["id"]
    return Shop(channel_id, int(relay.GlobalID.from_id(channel_id).node_id), tenant)


async def start(api: Api, shop: Shop, mode: str = "BACKFILL", resource: str = "orders") -> dict[str, Any]:
    data = await api.data(START, {"i": {"channelId": shop.channel_id, "mode": mode, "resource": resource}},
                          token=shop.tenant.token)
    return dict(data["startSyncRun"])


async def runs(api: Api, shop: Shop) -> list[dict[str, Any]]:
    data = await api.data(RUNS, {"c": shop.channel_id}, token=shop.tenant.token)
    return [e["node"] for e in data["syncRuns"]["edges"]]


async def finished(api: Api, rt: Any, shop: Shop, run_id: str) -> dict[str, Any]:
    if not rt.settings.embedded:
        from workers.embedded import build_worker

        await build_worker(rt, handle_signals=False, burst=True).main()  # no in-process worker on PostgreSQL
    for _ in range(300):
        run = next(r for r in await runs(api, shop) if r["id"] == run_id)
        if run["status"] in ("DONE", "FAILED"):
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"sync run {run_id} did not finish: {run}")


async def sync(api: Api, rt: Any, shop: Shop, mode: str = "BACKFILL", resource: str = "orders") -> dict[str, Any]:
    started = await start(api, shop, mode, resource)
    assert started["errors"] == [], started
    return await finished(api, rt, shop, started["run"]["id"])


def counts(run: dict[str, Any], resource: str) -> dict[str, int]:
    found = {c["resource"]: {k: v for k, v in c.items() if k != "resource"} for c in run["counts"]}
    return found.get(resource, {})


def minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


async def assert_mirrored(shop: Shop, fake: FakeShopify, customers: bool = False) -> None:
    """The channel's orders, and its customers (those of the orders; with `customers`, every one of the
    fake's), are exactly the fake's."""
    tid = shop.tenant.id
    orders = {o.external_id: o for o in await Order.filter(tenant_id=tid, channel_id=shop.pk)}
    assert set(orders) == {str(n) for n in fake.orders}
    identities = {i.external_id: i.customer_id for i in await CustomerIdentity.filter(tenant_id=tid,
                                                                                      channel_id=shop.pk)}
    assert set(identities) == {n["customer"]["id"].rsplit("/", 1)[-1] for n in fake.orders.values()} | (
        {str(n) for n in fake.customers} if customers else set())
    for number, node in fake.orders.items():
        order = orders[str(number)]
        assert (order.number, order.currency, order.total, order.shipping, order.subtotal) == (
            node["name"], node["currencyCode"], minor(node["totalPriceSet"]["shopMoney"]["amount"]),
            minor(node["totalShippingPriceSet"]["shopMoney"]["amount"]),
            minor(node["subtotalPriceSet"]["shopMoney"]["amount"]))
        expected_status = "cancelled" if node["cancelledAt"] else "paid"
        assert order.status == expected_status
        assert order.customer_id == identities[node["customer"]["id"].rsplit("/", 1)[-1]]
        lines = await OrderLine.filter(tenant_id=tid, order_id=order.id).order_by("id")
        assert [(x.sku, x.name, x.quantity, x.unit_price) for x in lines] == [
            (x["sku"], x["name"], x["quantity"], minor(x["originalUnitPriceSet"]["shopMoney"]["amount"]))
            for x in node["lineItems"]["nodes"]]
        customer = await Customer.get(id=order.customer_id)
        assert (customer.first_name, customer.last_name) == (node["customer"]["firstName"],
                                                             node["customer"]["lastName"])
        assert await primary_email(tid, customer.id) == node["customer"]["email"]
