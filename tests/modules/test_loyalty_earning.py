"""Earning over HTTP: a paid order credits its rules' points once, however often its event comes."""

from __future__ import annotations

from typing import Any

from core import events
from core.models import OutboxEvent
from core.tenancy import scoped
from modules.loyalty.jobs import on_order_status_changed
from modules.loyalty.models import LedgerEntry, Lot
from tests.conftest import Api, TenantFixture
from tests.modules.automation_support import customer, deliver
from tests.modules.loyalty_support import CREATE_ORDER, assert_ledger_holds, loyalty, paid_order, pk, program, rule
from tests.querycount import count_queries


async def test_a_paid_order_earns_once_even_when_its_event_comes_twice(api: Api, rt: Any, tenant: TenantFixture,
                                                                       relay: Any) -> None:
    await program(api, tenant)
    await rule(api, tenant, mode="per_amount", points=1, per="1", basis="net")  # 1 point per euro of goods
    await rule(api, tenant, mode="per_order", points=10, minAmount="50")
    await rule(api, tenant, mode="per_unit", points=2, basis="gross")
    cid = await customer(api, tenant)
    # 2 x 40.99 + 1 x 10.00 = 91.98, less 5.00 discount: net 86.98 -> 86 points; 10 per order; 3 units x 2.
    order_id = await paid_order(api, tenant, cid, [(2, "40.99"), (1, "10.00")], discount="5.00", shipping="4.90")
    assert await deliver(rt, tenant.id) >= 2
    view = await loyalty(api, tenant, cid)
    assert (view["balance"], view["available"], view["pending"], view["lifetime"]) == (102, 102, 0, 102)
    assert sorted(e["node"]["points"] for e in view["history"]["edges"]) == [6, 10, 86]
    # The same order paid again (a webhook delivered twice, a worker killed after its commit): nothing more.
    status = await OutboxEvent.filter(tenant_id=tenant.id, topic="crm.order.status_changed").first()
    assert status is not None
    await events.emit(status.topic, status.payload, tenant.id)
    await deliver(rt, tenant.id)
    await on_order_status_changed(status)
    assert await scoped(LedgerEntry, tenant.id).filter(source_id=str(pk(order_id))).count() == 3
    assert (await loyalty(api, tenant, cid))["balance"] == 102
    await assert_ledger_holds(tenant.id, pk(cid))


async def test_what_earns_nothing(api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await program(api, tenant, pendingDays=14)
    await rule(api, tenant, mode="per_amount", points=1, per="1", minAmount="20")
    cid = await customer(api, tenant)
    await paid_order(api, tenant, cid, [(1, "19.99")])  # under the minimum
    await paid_order(api, tenant, cid, [(1, "500")], currency="USD")  # not the program's currency
    await paid_order(api, tenant, cid, [(1, "80")], pay=False)  # never paid
    await deliver(rt, tenant.id)
    assert await scoped(LedgerEntry, tenant.id).count() == 0
    # An order entered already paid earns at once, pending for the program's 14 days.
    data = await api.data(CREATE_ORDER, {"i": {"customerId": cid, "number": "P-1", "currency": "EUR",
                                               "status": "paid", "lines": [{"sku": "A", "unitPrice": "25.50"}]}},
                          token=tenant.token)
    assert data["createOrder"]["errors"] == []
    await deliver(rt, tenant.id)
    view = await loyalty(api, tenant, cid)
    assert (view["balance"], view["pending"], view["available"]) == (25, 25, 0)
    lot = await scoped(Lot, tenant.id).get()
    assert lot.pending_until is not None and (lot.pending_until - lot.created_at).days == 14


PAGE = """query($n: Int!) { customers(first: $n) { edges { node { id loyalty {
  balance pending nextExpiry { points } tier { name } progress { total nextTier { name } } } } } } }"""


async def test_a_page_of_customers_reads_their_points_in_a_fixed_number_of_queries(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await program(api, tenant, expiryPolicy="per_lot", expiryDays=30)
    await rule(api, tenant, mode="per_order", points=7)
    for _ in range(6):
        await paid_order(api, tenant, await customer(api, tenant), [(1, "10.00")])
    await deliver(rt, tenant.id)
    counts = []
    for n in (2, 6):
        with count_queries() as seen:
            page = await api.data(PAGE, {"n": n}, token=tenant.token)
        counts.append(len(seen))
        assert [e["node"]["loyalty"]["balance"] for e in page["customers"]["edges"]] == [7] * n
    assert counts[0] == counts[1], counts
