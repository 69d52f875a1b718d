"""Refunds over HTTP claw points back in proportion to the money refunded, rounded down like
earning; spent points become a debt (blocking redemption) or the clawback is capped."""

from __future__ import annotations

from typing import Any

from core.tenancy import scoped
from modules.loyalty.models import LedgerEntry
from tests.conftest import Api, TenantFixture
from tests.modules.automation_support import customer, deliver
from tests.modules.loyalty_support import (
    REDEEM,
    UPDATE_ORDER,
    assert_ledger_holds,
    call,
    loyalty,
    ok,
    paid_order,
    pk,
    program,
    refund,
    rule,
)


async def test_refunds_claw_back_in_proportion(api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await program(api, tenant)
    await rule(api, tenant, mode="per_amount", points=1, per="1", basis="gross")
    cid = await customer(api, tenant)
    order_id = await paid_order(api, tenant, cid, [(2, "50.00")])  # 100.00: 100 points
    await deliver(rt, tenant.id)
    for amount, expected in (("30.00", 70), ("33.33", 37), ("36.67", 0)):
        await refund(api, tenant, order_id, amount)
        await deliver(rt, tenant.id)
        assert (await loyalty(api, tenant, cid))["balance"] == expected, amount
    clawed = await scoped(LedgerEntry, tenant.id).filter(kind="CLAWBACK").order_by("id").values_list("points",
                                                                                                     flat=True)
    assert list(clawed) == [-30, -33, -37]  # floor(100 x 63.33 / 100) = 63 after the second
    await assert_ledger_holds(tenant.id, pk(cid))


async def test_spent_points_become_a_debt_or_the_clawback_is_capped(api: Api, rt: Any, tenant: TenantFixture,
                                                                    other_tenant: TenantFixture, relay: Any) -> None:
    for t, policy in ((tenant, "debt"), (other_tenant, "cap")):
        await program(api, t, negativePolicy=policy)
        await rule(api, t, mode="per_amount", points=1, per="1", basis="gross")
    debtor = await customer(api, tenant)
    capped = await customer(api, other_tenant)
    orders = {}
    for t, cid in ((tenant, debtor), (other_tenant, capped)):
        orders[t.id] = await paid_order(api, t, cid, [(1, "100.00")])
        await deliver(rt, t.id)
        await ok(api, t, REDEEM, {"customerId": cid, "points": 80})
        await refund(api, t, orders[t.id], "100.00")
        await deliver(rt, t.id)
    owed = await loyalty(api, tenant, debtor)
    assert (owed["balance"], owed["available"]) == (-80, -80)
    blocked = await call(api, tenant, REDEEM, {"customerId": debtor, "points": 1})
    assert blocked["errors"][0]["code"] == "IN_DEBT"
    # The next earning pays the debt off first.
    await paid_order(api, tenant, debtor, [(1, "50.00")])
    await deliver(rt, tenant.id)
    assert (await loyalty(api, tenant, debtor))["balance"] == -30
    await assert_ledger_holds(tenant.id, pk(debtor))
    kept = await loyalty(api, other_tenant, capped)
    assert (kept["balance"], kept["available"]) == (0, 0)
    clawback = await scoped(LedgerEntry, other_tenant.id).get(kind="CLAWBACK")
    assert clawback.points == -20  # capped at what was left
    await assert_ledger_holds(other_tenant.id, pk(capped))


async def test_an_order_cancelled_or_marked_refunded_gives_back_what_refunds_did_not(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await program(api, tenant)
    await rule(api, tenant, mode="per_amount", points=1, per="1", basis="gross")
    cid = await customer(api, tenant)
    cancelled = await paid_order(api, tenant, cid, [(1, "40.00")])
    refunded = await paid_order(api, tenant, cid, [(1, "60.00")])
    await deliver(rt, tenant.id)
    await refund(api, tenant, refunded, "15.00")  # 15 points
    await deliver(rt, tenant.id)
    for order_id, status in ((cancelled, "cancelled"), (refunded, "refunded")):
        moved = await api.data(UPDATE_ORDER, {"i": {"orderId": order_id, "status": status}}, token=tenant.token)
        assert moved["updateOrder"]["errors"] == []
    await deliver(rt, tenant.id)
    clawed = await scoped(LedgerEntry, tenant.id).filter(kind="CLAWBACK").order_by("id").values_list("points",
                                                                                                     flat=True)
    assert list(clawed) == [-15, -40, -45]
    await refund(api, tenant, refunded, "45.00")  # the money follows: no point twice
    await deliver(rt, tenant.id)
    assert (await loyalty(api, tenant, cid))["balance"] == 0
    await assert_ledger_holds(tenant.id, pk(cid))
