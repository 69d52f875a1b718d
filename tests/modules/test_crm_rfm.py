"""RFM scores and lifecycle stages, computed in SQL from the orders, per tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modules.crm.models import Customer, Order
from tests.conftest import Api, TenantFixture

RECOMPUTE = "mutation { recomputeCustomerScores { scoredCustomers } }"
LIST = """{ customers(first: 20) { edges { node { displayName stage
  rfm { recency frequency monetary orderCount lastOrderAt } } } } }"""


async def test_scores_and_stages_follow_the_orders(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    now = datetime.now(UTC)
    specs = {"whale": [(1, 90_000, "EUR")] * 6, "fresh": [(5, 1_000, "EUR")], "lapsed": [(120, 5_000, "EUR")] * 2,
             "gone": [(400, 2_000, "EUR")], "yen": [(3, 50_000, "JPY")] * 5, "idle": [],
             "refunded": [(2, 70_000, "EUR", "refunded")]}
    for name, orders in specs.items():
        customer = await Customer.create(tenant_id=tenant.id, first_name=name, display_name=name)
        for i, (days, total, currency, *status) in enumerate(orders):
            await Order.create(tenant_id=tenant.id, customer_id=customer.id, number=f"{name}{i}", currency=currency,
                               total=total, placed_at=now - timedelta(days=days, minutes=i),
                               status=status[0] if status else "delivered")
    theirs = await Customer.create(tenant_id=other_tenant.id, first_name="theirs", display_name="theirs")
    await Order.create(tenant_id=other_tenant.id, customer_id=theirs.id, number="t", currency="EUR", total=1,
                       placed_at=now - timedelta(days=500))
    assert (await api.data(RECOMPUTE, token=tenant.token))["recomputeCustomerScores"]["scoredCustomers"] == 5
    rows = {e["node"]["displayName"]: e["node"] for e in
            (await api.data(LIST, token=tenant.token))["customers"]["edges"]}
    assert {n: r["stage"] for n, r in rows.items()} == {
        "whale": "vip", "fresh": "new", "lapsed": "at_risk", "gone": "churned", "yen": "active", "idle": "new",
        "refunded": "new"}
    assert rows["idle"]["rfm"] is None and rows["refunded"]["rfm"] is None
    whale, gone = rows["whale"]["rfm"], rows["gone"]["rfm"]
    assert whale["orderCount"] == 6 and whale["recency"] == 5 and whale["frequency"] == 5
    assert gone["recency"] == 1
    assert (await Customer.get(id=theirs.id)).stage == "new"  # another tenant is untouched
    # Running again gives the same answer; an order that makes "gone" active again moves it.
    await Order.create(tenant_id=tenant.id, customer_id=(await Customer.get(display_name="gone",
                                                                             tenant_id=tenant.id)).id,
                       number="back", currency="EUR", total=500, placed_at=now - timedelta(days=1))
    await api.data(RECOMPUTE, token=tenant.token)
    again = {e["node"]["displayName"]: e["node"]["stage"] for e in
             (await api.data(LIST, token=tenant.token))["customers"]["edges"]}
    assert again["gone"] == "active" and again["whale"] == "vip"
    filtered = await api.data('{ customers(filter: {stages: ["vip"]}) { edges { node { displayName } } } }',
                              token=tenant.token)
    assert [e["node"]["displayName"] for e in filtered["customers"]["edges"]] == ["whale"]


async def test_the_nightly_job_scores_every_tenant_and_leaves_erased_customers_erased(
        rt: object, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    from modules.crm.jobs import recompute_scores

    now = datetime.now(UTC)
    erased = await Customer.create(tenant_id=tenant.id, first_name="", display_name="", stage="erased")
    mine = await Customer.create(tenant_id=tenant.id, first_name="m", display_name="m")
    theirs = await Customer.create(tenant_id=other_tenant.id, first_name="t", display_name="t")
    for customer, tid in ((erased, tenant.id), (mine, tenant.id), (theirs, other_tenant.id)):
        await Order.create(tenant_id=tid, customer_id=customer.id, number="n", currency="EUR", total=100,
                           placed_at=now - timedelta(days=200))
    result = await recompute_scores({"rt": rt})
    assert result[tenant.id] == 2 and result[other_tenant.id] == 1
    assert (await Customer.get(id=erased.id)).stage == "erased"
    assert (await Customer.get(id=mine.id)).stage == "churned"
    assert (await Customer.get(id=theirs.id)).stage == "churned"
