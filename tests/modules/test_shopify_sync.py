"""Shopify runs against the fake Admin GraphQL API (tests/fixtures/shopify_server.py), over HTTP on
both databases: a backfill mirrors the shop exactly, an incremental run brings only what changed,
re-running changes nothing, throttling is waited out, a 500 is retried, and syncRuns shows it all."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.models import AuditEntry
from modules.crm.models import Customer, CustomerIdentity, Order
from modules.shopify import client
from modules.sync.models import Watermark
from tests.conftest import Api, TenantFixture, make_tenant
from tests.fixtures.shopify_server import HTML, THROTTLED, FakeShopify
from tests.modules.shopify_helpers import (
    RUNS,
    assert_mirrored,
    connect,
    counts,
    fake_shop,
    finished,
    runs,
    start,
    sync,
)

shop_fixture = pytest.fixture(scope="module", name="fake")(fake_shop)


def shop_data(fake: FakeShopify, orders: int = 3) -> list[dict[str, Any]]:
    ana = fake.add_customer("Ana", "Silva", f"ana.{len(fake.customers)}@example.pt", "PT")
    ben = fake.add_customer("Ben", "Okoro", f"ben.{len(fake.customers)}@example.ng", "NG")
    made = []
    for i in range(orders):
        buyer = ana if i % 2 == 0 else ben
        made.append(fake.add_order(buyer, [("MUG-1", "Mug", 2, "9.95"), (f"TEE-{i}", "T-shirt", 1, "19.00")]))
    return made


async def test_a_backfill_mirrors_the_shop_then_incremental_runs_bring_only_the_changes(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    fake.orders.clear()
    made = shop_data(fake, orders=120)  # three pages of 50
    shop = await connect(api, tenant, fake)
    fake.requests.clear()
    run = await sync(api, rt, shop)
    assert run["status"] == "DONE" and run["errors"] == [] and run["mode"] == "BACKFILL"
    assert (run["pages"], run["records"]) == (3, 240)  # each order comes with its customer
    assert counts(run, "orders") == {"created": 120, "updated": 0, "unchanged": 0, "failed": 0, "stale": 0}
    assert counts(run, "customers")["created"] == 2
    assert [r["variables"]["query"] for r in fake.requests] == [None, None, None]
    await assert_mirrored(shop, fake)
    mark = await Watermark.get(tenant_id=tenant.id, channel_id=shop.pk, resource="orders")
    assert mark.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") == max(n["updatedAt"] for n in made)

    # Changes on the shop: one order cancelled, one new; an incremental run reads only what changed.
    fake.update_order(made[7], cancelledAt=fake.clock.isoformat())
    fake.add_order(fake.customers[min(fake.customers)], [("MUG-1", "Mug", 1, "9.95")])
    fake.requests.clear()
    run = await sync(api, rt, shop, "INCREMENTAL")
    assert run["status"] == "DONE" and run["since"] is not None
    assert [r["variables"]["query"].startswith("updated_at:>'") for r in fake.requests] == [True]
    orders = counts(run, "orders")
    assert (orders["created"], orders["updated"], orders["failed"], orders["stale"]) == (1, 1, 0, 0)
    assert orders["created"] + orders["updated"] + orders["unchanged"] < 10  # the overlap only, not the shop
    await assert_mirrored(shop, fake)
    assert await Order.filter(tenant_id=tenant.id, status="cancelled").count() == 1

    # Re-running changes nothing: a backfill again finds every order as it is.
    run = await sync(api, rt, shop)
    assert counts(run, "orders") == {"created": 0, "updated": 0, "unchanged": 121, "failed": 0, "stale": 0}
    await assert_mirrored(shop, fake)
    assert await Order.filter(tenant_id=tenant.id).count() == 121
    assert await Customer.filter(tenant_id=tenant.id).count() == 2


async def test_throttling_is_waited_out_and_a_500_or_an_html_page_is_retried(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    fake.orders.clear()
    shop_data(fake, orders=60)
    shop = await connect(api, tenant, fake)
    fake.requests.clear()
    fake.faults.extend([THROTTLED, 500, HTML, 429])
    run = await sync(api, rt, shop)
    assert run["status"] == "DONE", run
    assert counts(run, "orders")["created"] == 60
    answers = [r["answer"] for r in fake.requests]
    assert answers == [THROTTLED, 500, HTML, 429, 200, 200]
    # After THROTTLED with an empty bucket, the client waited what the bucket needed for the query's cost.
    cost, rate = 2 + 50, fake.restore_rate
    assert fake.requests[1]["at"] - fake.requests[0]["at"] >= cost / rate * 0.9
    await assert_mirrored(shop, fake)


async def test_the_real_bucket_is_obeyed_without_hammering(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    fake.orders.clear()
    shop_data(fake, orders=150)
    shop = await connect(api, tenant, fake)
    fake.throttling, fake.maximum, fake.available, fake.restore_rate = True, 110.0, 110.0, 200.0
    fake.requests.clear()
    try:
        run = await sync(api, rt, shop)
    finally:
        fake.throttling, fake.maximum, fake.available, fake.restore_rate = False, 1000.0, 1000.0, 500.0
    assert run["status"] == "DONE" and counts(run, "orders")["created"] == 150
    answers = [r["answer"] for r in fake.requests]
    assert answers.count(200) == 3 and answers.count(THROTTLED) <= 1  # the shared bucket waited for the shop's
    await assert_mirrored(shop, fake)


async def test_a_record_changing_while_being_paged_ends_as_it_is_now(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    fake.orders.clear()
    made = shop_data(fake, orders=80)
    shop = await connect(api, tenant, fake)
    fake.requests.clear()
    # After the first page is served, an order of that page is refunded: it moves to the end and comes again.
    fake.after_page[1] = lambda: fake.update_order(made[3], displayFinancialStatus="REFUNDED")
    run = await sync(api, rt, shop)
    assert run["status"] == "DONE"
    orders = counts(run, "orders")
    assert (orders["created"], orders["updated"]) == (80, 1)
    order = await Order.get(tenant_id=tenant.id, external_id=made[3]["id"].rsplit("/", 1)[-1])
    assert order.status == "refunded"
    made[3]["displayFinancialStatus"] = "PAID"  # assert_mirrored's expectation for the others
    fake.update_order(made[3])


async def test_customers_sync_as_their_own_resource(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    fake.orders.clear()
    fake.customers.clear()
    for i in range(7):
        fake.add_customer(f"Kim{i}", "Lee", f"kim{i}@example.kr", "KR")
    shop = await connect(api, tenant, fake)
    run = await sync(api, rt, shop, resource="customers")
    assert run["status"] == "DONE" and counts(run, "customers")["created"] == 7
    await assert_mirrored(shop, fake, customers=True)
    assert {c.country for c in await Customer.filter(tenant_id=tenant.id)} == {"KR"}


async def test_bad_credentials_fail_the_run_with_a_code_and_write_nothing(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    shop = await connect(api, tenant, fake)
    await api.data("""mutation($i: UpdateSalesChannelInput!) { updateSalesChannel(input: $i) { errors { code } } }""",
                   {"i": {"channelId": shop.channel_id, "credentials": {"shop": "fake-shop", "access_token": "nope"}}},
                   token=tenant.token)
    run = await sync(api, rt, shop)
    assert run["status"] == "FAILED" and run["errors"][0]["code"] == "UNAUTHORIZED"
    assert "nope" not in str(run)
    assert await CustomerIdentity.filter(tenant_id=tenant.id).count() == 0


async def test_sync_runs_are_permission_checked_tenant_scoped_and_validated(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture, fake: FakeShopify) -> None:
    shop = await connect(api, tenant, fake)
    agent = await make_tenant(api, rt, role="agent")
    refused = await api.post(RUNS, {"c": shop.channel_id}, token=agent.token)
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    started = await api.post("""mutation($i: StartSyncRunInput!) { startSyncRun(input: $i) { errors { code } } }""",
                             {"i": {"channelId": shop.channel_id}}, token=agent.token)
    assert started["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Another tenant's channel is not found, and shows no runs.
    other = await api.data("""mutation($i: StartSyncRunInput!) { startSyncRun(input: $i) {
      run { id } errors { code field } } }""", {"i": {"channelId": shop.channel_id}}, token=other_tenant.token)
    assert other["startSyncRun"] == {"run": None, "errors": [{"code": "NOT_FOUND", "field": ["channelId"]}]}
    listed = await api.data(RUNS, {"c": shop.channel_id}, token=other_tenant.token)
    assert listed["syncRuns"]["edges"] == []
    bad = await start(api, shop, resource="refunds")
    assert bad["run"] is None and bad["errors"][0]["code"] == "INVALID_RESOURCE"
    french = await api.post("""mutation($i: StartSyncRunInput!) { startSyncRun(input: $i) { errors { message } } }""",
                            {"i": {"channelId": shop.channel_id, "resource": "refunds"}}, token=tenant.token,
                            lang="fr")
    assert french["data"]["startSyncRun"]["errors"][0]["message"].startswith("Choisissez")


async def test_sync_runs_show_a_run_s_progress_while_it_runs(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    fake.orders.clear()
    shop_data(fake, orders=70)
    shop = await connect(api, tenant, fake)
    fake.requests.clear()
    fake.hold, fake.hold_call = asyncio.Event(), 2  # the second page waits
    worker = None
    try:
        started = await start(api, shop)
        busy = await start(api, shop)
        assert busy["errors"][0]["code"] == "RUN_IN_PROGRESS"
        audited = await AuditEntry.filter(tenant_id=tenant.id, action="sync.run.start")
        assert [a.after for a in audited] == [{"resource": "orders", "mode": "backfill", "run": started["run"]["id"]}]
        if not rt.settings.embedded:
            from workers.embedded import build_worker

            worker = asyncio.create_task(build_worker(rt, handle_signals=False, burst=True).main())
        run: dict[str, Any] = {}
        for _ in range(100):
            run = (await runs(api, shop))[0]
            if run["pages"] == 1:
                break
            await asyncio.sleep(0.05)
        assert (run["id"], run["status"], run["pages"], run["records"]) == (started["run"]["id"], "RUNNING", 1, 100)
        assert counts(run, "orders")["created"] == 50 and run["finishedAt"] is None
    finally:
        fake.hold.set()
        fake.hold = None
    if worker is not None:
        await worker
    done = await finished(api, rt, shop, started["run"]["id"])
    assert (done["status"], done["pages"], counts(done, "orders")["created"]) == ("DONE", 2, 70)


async def test_an_order_crm_refuses_is_counted_failed_and_the_rest_is_written(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify) -> None:
    fake.orders.clear()
    made = shop_data(fake, orders=4)
    fake.update_order(made[1], customer=None, email="guest@example.fr")  # a guest nobody knows
    fake.update_order(made[2], currencyCode="XXQ")  # not a currency
    shop = await connect(api, tenant, fake)
    run = await sync(api, rt, shop)
    assert run["status"] == "DONE"
    assert counts(run, "orders") == {"created": 2, "updated": 0, "unchanged": 0, "failed": 2, "stale": 0}
    assert {o.external_id for o in await Order.filter(tenant_id=tenant.id)} == {
        made[i]["id"].rsplit("/", 1)[-1] for i in (0, 3)}
    # Once the shop fixes them, the next run writes them: a refused record was not marked applied.
    made[1]["customer"] = made[0]["customer"]
    fake.update_order(made[1])
    fake.update_order(made[2], currencyCode="EUR")
    run = await sync(api, rt, shop, "INCREMENTAL")
    assert counts(run, "orders")["created"] == 2
    await assert_mirrored(shop, fake)


async def test_a_run_that_fails_half_way_keeps_what_committed_and_the_next_run_goes_on_from_there(
        api: Api, rt: Any, tenant: TenantFixture, fake: FakeShopify, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF", (0.01, 0.01, 0.01, 0.01))
    fake.orders.clear()
    made = shop_data(fake, orders=75)
    shop = await connect(api, tenant, fake)
    fake.requests.clear()
    fake.after_page[1] = lambda: fake.faults.extend([500] * 5)  # page 2 fails past every retry
    run = await sync(api, rt, shop)
    assert (run["status"], run["pages"], run["errors"][0]["code"]) == ("FAILED", 1, "PLATFORM_UNAVAILABLE")
    assert run["errors"][0]["message"] == "The platform did not answer properly, even after retries."
    assert [r["answer"] for r in fake.requests] == [200, 500, 500, 500, 500, 500]
    assert await Order.filter(tenant_id=tenant.id).count() == 50
    mark = await Watermark.get(tenant_id=tenant.id, channel_id=shop.pk, resource="orders")
    assert mark.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") == sorted(n["updatedAt"] for n in made)[49]
    run = await sync(api, rt, shop, "INCREMENTAL")
    assert run["status"] == "DONE" and counts(run, "orders")["created"] == 25
    await assert_mirrored(shop, fake)
