"""Shopify webhooks into POST /sync/webhooks/shopify/<address>, posted by the fake shop over real HTTP
and signed over the raw bytes: an order created then updated, the same event twice applied once, an
older version after a newer one changing nothing, and every refusal storing nothing."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.models import AuditEntry
from modules.crm.models import CustomerIdentity, Order, OrderLine
from modules.shopify.connector import CONNECTOR
from modules.sync.models import WebhookEvent
from modules.sync.services import webhooks
from modules.sync.services.apply import apply
from tests.conftest import Api, TenantFixture, make_tenant
from tests.fixtures.live_server import serve
from tests.fixtures.shopify_server import FakeShopify, post_webhook, rest_order, webhook_headers
from tests.modules.shopify_helpers import SECRET, WEBHOOKS, Shop, assert_mirrored, connect, fake_shop

shop_fixture = pytest.fixture(scope="module", name="fake")(fake_shop)


@pytest.fixture(scope="module")
async def app_url(app: Any) -> AsyncIterator[str]:
    """The app on a real port, for the fake shop to post its webhooks to."""
    async with serve(app) as address:
        yield f"http://{address}"


async def address(api: Api, shop: Shop, app_url: str) -> str:
    data = await api.data(WEBHOOKS, {"i": {"channelId": shop.channel_id}}, token=shop.tenant.token)
    assert data["enableSyncWebhooks"]["errors"] == []
    return app_url + data["enableSyncWebhooks"]["path"]


async def events(shop: Shop) -> int:
    return await WebhookEvent.filter(tenant_id=shop.tenant.id).count()


async def test_orders_webhooks_create_and_update_once_and_never_regress(
        api: Api, tenant: TenantFixture, fake: FakeShopify, app_url: str) -> None:
    shop = await connect(api, tenant, fake)
    url = await address(api, shop, app_url)
    assert url == await address(api, shop, app_url)  # the same address every time
    fake.orders.clear()
    buyer = fake.add_customer("Lena", "Vogel", "lena@example.de")
    node = fake.add_order(buyer, [("MUG-1", "Mug", 1, "9.95")])
    created = await post_webhook(url, "orders/create", rest_order(node), SECRET, "ev-1")
    assert created.status_code == 200 and created.json()["status"] == "processed"
    await assert_mirrored(shop, fake)

    old = copy.deepcopy(node)
    fake.update_order(node, displayFinancialStatus="REFUNDED")
    node["lineItems"]["nodes"].append({"id": "gid://shopify/LineItem/9", "sku": "TEE-9", "name": "Tee",
                                       "quantity": 2, "originalUnitPriceSet": {"shopMoney": {"amount": "5.00"}}})
    updated = await post_webhook(url, "orders/updated", rest_order(node), SECRET, "ev-2")
    assert updated.status_code == 200
    order = await Order.get(tenant_id=tenant.id, external_id=node["id"].rsplit("/", 1)[-1])
    assert order.status == "refunded"
    assert await OrderLine.filter(order_id=order.id).count() == 2

    # Shopify retries ev-2: acknowledged, not applied again.
    again = await post_webhook(url, "orders/updated", rest_order(node), SECRET, "ev-2")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert await events(shop) == 2
    # The older version arrives late (another event id): stored, applied, and nothing regresses.
    late = await post_webhook(url, "orders/updated", rest_order(old), SECRET, "ev-0")
    assert late.status_code == 200 and late.json()["status"] == "processed"
    order = await Order.get(id=order.id)
    assert order.status == "refunded" and await OrderLine.filter(order_id=order.id).count() == 2
    assert await Order.filter(tenant_id=tenant.id).count() == 1


async def test_bad_missing_or_foreign_signatures_and_huge_bodies_store_nothing(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify, app_url: str) -> None:
    shop = await connect(api, tenant, fake)
    url = await address(api, shop, app_url)
    buyer = fake.add_customer("Omar", "Haddad", "omar@example.ma")
    payload = rest_order(fake.add_order(buyer, [("MUG-1", "Mug", 1, "9.95")]))

    wrong = await post_webhook(url, "orders/create", payload, "not-the-secret", "ev-x")
    assert wrong.status_code == 403 and wrong.json()["code"] == "FORBIDDEN"
    raw = b'{"id": 1}'
    headers = webhook_headers(raw, SECRET, "orders/create", "ev-y")
    del headers["X-Shopify-Hmac-Sha256"]
    async with httpx.AsyncClient(timeout=10) as client:
        missing = await client.post(url, content=raw, headers={**headers, "Accept-Language": "de"})
        assert missing.status_code == 401 and missing.json()["code"] == "SIGNATURE_REQUIRED"
        assert missing.json()["message"] == "Signieren Sie den Webhook mit dem Geheimnis des Kanals."
        huge = b"x" * (10 * 1024 * 1024)
        too_large = await client.post(url, content=huge, headers=webhook_headers(huge, SECRET, "orders/create", "big"))
        assert too_large.status_code == 413 and too_large.json()["code"] == "TOO_LARGE"
        garbage = b"<html>not json</html>"
        malformed = await client.post(url, content=garbage, headers=webhook_headers(garbage, SECRET, "orders/create",
                                                                                       "ev-g"))
        assert malformed.status_code == 400 and malformed.json()["code"] == "MALFORMED"
        unknown = await client.post(url.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000", content=raw,
                                    headers=webhook_headers(raw, SECRET, "orders/create", "ev-u"))
        assert unknown.status_code == 403 and unknown.json()["code"] == "FORBIDDEN"
    # Another tenant's channel, signed with this shop's secret (the secret of the URL's channel differs).
    other = await make_tenant(api, rt)
    theirs = await connect(api, other, fake)
    await api.data("""mutation($i: UpdateSalesChannelInput!) { updateSalesChannel(input: $i) { errors { code } } }""",
                   {"i": {"channelId": theirs.channel_id, "credentials": {"shop": "theirs", "access_token": "t",
                                                                         "webhook_secret": "their-secret"}}},
                   token=other.token)
    foreign = await post_webhook(await address(api, theirs, app_url), "orders/create", payload, SECRET, "ev-z")
    assert foreign.status_code == 403 and foreign.json()["code"] == "FORBIDDEN"
    assert await events(shop) == 0 and await events(theirs) == 0
    assert await Order.filter(tenant_id__in=[tenant.id, other.id]).count() == 0


async def test_webhook_addresses_are_permission_checked(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture, fake: FakeShopify) -> None:
    shop = await connect(api, tenant, fake)
    agent = await make_tenant(api, rt, role="agent")
    refused = await api.post(WEBHOOKS, {"i": {"channelId": shop.channel_id}}, token=agent.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await api.data(WEBHOOKS, {"i": {"channelId": shop.channel_id}}, token=other_tenant.token)
    assert other["enableSyncWebhooks"] == {"path": None, "errors": [{"code": "NOT_FOUND"}]}
    for _ in range(2):
        await api.data(WEBHOOKS, {"i": {"channelId": shop.channel_id}}, token=tenant.token)
    audited = await AuditEntry.filter(tenant_id=tenant.id, action="sync.webhooks.enable")
    assert [(a.object_id, a.actor_id) for a in audited] == [(str(shop.pk), tenant.admin_id)]


async def test_processed_events_are_purged_after_a_week(
        api: Api, tenant: TenantFixture, fake: FakeShopify, app_url: str) -> None:
    shop = await connect(api, tenant, fake)
    url = await address(api, shop, app_url)
    node = fake.add_order(fake.add_customer("Ivo", "Horvat", "ivo@example.hr"), [("MUG-1", "Mug", 1, "9.95")])
    assert (await post_webhook(url, "orders/create", rest_order(node), SECRET, "ev-p")).status_code == 200
    await webhooks.purge(datetime.now(UTC) + timedelta(days=6))
    assert await events(shop) == 1
    await webhooks.purge(datetime.now(UTC) + timedelta(days=8))
    assert await events(shop) == 0
    assert await Order.filter(tenant_id=tenant.id).count() == 1  # the order stays


async def test_two_writers_of_one_order_at_once_leave_the_newest_version(
        api: Api, tenant: TenantFixture, fake: FakeShopify) -> None:
    """A run's page and a webhook applying versions of the same order at the same moment (two database
    connections on PostgreSQL): whichever goes first, the newer version is what stays."""
    shop = await connect(api, tenant, fake)
    buyer = fake.add_customer("Noa", "Levi", "noa@example.il")
    for attempt in range(4):
        node = fake.add_order(buyer, [("MUG-1", "Mug", 1, "9.95")])
        old = copy.deepcopy(node)
        fake.update_order(node, displayFinancialStatus="REFUNDED")
        versions = [rest_order(node), rest_order(old)]
        if attempt % 2:
            versions.reverse()
        results = await asyncio.gather(*(apply(tenant.id, shop.pk, CONNECTOR.records("orders/updated", v))
                                         for v in versions))
        order = await Order.get(tenant_id=tenant.id, external_id=node["id"].rsplit("/", 1)[-1])
        assert order.status == "refunded", (attempt, results)
    assert await Order.filter(tenant_id=tenant.id).count() == 4
    assert await CustomerIdentity.filter(tenant_id=tenant.id).count() == 1
