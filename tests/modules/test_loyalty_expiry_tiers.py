"""Expiry per lot (spending takes the nearest expiry first, the job expires what is left, once),
inactivity expiry, and tiers: promotion on earning, no demotion on spending, demotion on a refund."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.auth.principal import Principal
from core.tenancy import scoped
from modules.loyalty.jobs import expire_points, review_tiers
from modules.loyalty.models import Allocation, LedgerEntry, Lot
from modules.loyalty.services import adjust_points, earn_for_order, expire_program, get_program, reserve_points
from modules.loyalty.services.standing import review_program
from tests.conftest import Api, TenantFixture
from tests.modules.automation_support import customer, deliver
from tests.modules.loyalty_support import (
    CREATE_TIER,
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


async def test_expiry_per_lot_spends_the_nearest_first(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await program(api, tenant, expiryPolicy="per_lot", expiryDays=30)
    cid = await customer(api, tenant)
    actor = Principal(tenant.admin_id, tenant.id)
    start = datetime.now(UTC) - timedelta(days=35)
    near = await adjust_points(actor, pk(cid), 100, "Early gift", now=start)  # expires 5 days ago
    later = await adjust_points(actor, pk(cid), 50, "Later gift", now=start + timedelta(days=10))  # in 5 days
    await reserve_points(actor, pk(cid), 60, now=start + timedelta(days=11))
    spent = await scoped(LedgerEntry, tenant.id).get(kind="REDEEM")
    taken = [(a.lot_id, a.points) for a in await scoped(Allocation, tenant.id).filter(entry_id=spent.id)]
    near_lot = await scoped(Lot, tenant.id).get(entry_id=near.id)
    assert taken == [(near_lot.id, 60)]
    assert (await expire_points({"rt": rt}))[tenant.id] == 40  # the cron job: what is left of the due lot
    program_row = await get_program(tenant.id)
    assert program_row is not None and await expire_program(program_row) == 0  # run again: nothing more
    expired = await scoped(LedgerEntry, tenant.id).filter(kind="EXPIRE").values_list("points", flat=True)
    assert list(expired) == [-40]
    view = await loyalty(api, tenant, cid)
    later_lot = await scoped(Lot, tenant.id).get(entry_id=later.id)
    assert view["balance"] == 50 and view["nextExpiry"]["points"] == 50
    assert later_lot.expires_at is not None
    assert datetime.fromisoformat(view["nextExpiry"]["at"]) == later_lot.expires_at
    await assert_ledger_holds(tenant.id, pk(cid))


async def test_inactivity_expires_the_whole_balance_once(api: Api, tenant: TenantFixture) -> None:
    await program(api, tenant)
    cid = await customer(api, tenant)
    actor = Principal(tenant.admin_id, tenant.id)
    await adjust_points(actor, pk(cid), 70, "Gift")
    await program(api, tenant, expiryPolicy="inactivity", expiryDays=90)  # the clock starts now
    found = await get_program(tenant.id)
    assert found is not None
    assert await expire_program(found, datetime.now(UTC) + timedelta(days=89)) == 0
    assert await expire_program(found, datetime.now(UTC) + timedelta(days=91)) == 70
    assert await expire_program(found, datetime.now(UTC) + timedelta(days=92)) == 0
    assert (await loyalty(api, tenant, cid))["balance"] == 0
    await assert_ledger_holds(tenant.id, pk(cid))


async def test_tiers_promote_on_earning_never_demote_on_spending_and_a_refund_can(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await program(api, tenant)
    await rule(api, tenant, mode="per_amount", points=1, per="1", basis="gross")
    await ok(api, tenant, CREATE_TIER, {"name": "Silver", "entryThreshold": "100", "retainThreshold": "80"})
    await ok(api, tenant, CREATE_TIER, {"name": "Gold", "entryThreshold": "300", "retainThreshold": "250"})
    cid = await customer(api, tenant)
    order_id = await paid_order(api, tenant, cid, [(1, "120.00")])
    await deliver(rt, tenant.id)
    view = await loyalty(api, tenant, cid)
    assert view["tier"] == {"name": "Silver"}
    progress = view["progress"]
    assert (progress["total"], progress["nextTier"], progress["toNextTier"], progress["toRetain"]) == (
        "120", {"name": "Gold"}, "180", "0")
    assert progress["periodEnd"] is not None
    await ok(api, tenant, REDEEM, {"customerId": cid, "points": 110})  # spending keeps the tier
    assert (await loyalty(api, tenant, cid))["tier"] == {"name": "Silver"}
    await refund(api, tenant, order_id, "30.00")  # 90 counted now: above Silver's retain threshold of 80
    await deliver(rt, tenant.id)
    assert (await loyalty(api, tenant, cid))["tier"] == {"name": "Silver"}
    await refund(api, tenant, order_id, "20.00")  # 70: below it
    await deliver(rt, tenant.id)
    view = await loyalty(api, tenant, cid)
    assert view["tier"] is None and view["progress"]["toNextTier"] == "30"


async def test_tiers_on_money_spent_in_the_calendar_year(api: Api, rt: Any, tenant: TenantFixture,
                                                         relay: Any) -> None:
    await program(api, tenant, tierBasis="spend", tierWindow="calendar_year")
    await rule(api, tenant, mode="per_order", points=5)
    tier = await ok(api, tenant, CREATE_TIER, {"name": "VIP", "entryThreshold": "150.00"})
    assert tier["tier"]["entryThreshold"] == "150.00"
    cid = await customer(api, tenant)
    await paid_order(api, tenant, cid, [(1, "99.99")])
    await paid_order(api, tenant, cid, [(1, "50.01")])
    await deliver(rt, tenant.id)
    view = await loyalty(api, tenant, cid)
    assert view["tier"] == {"name": "VIP"} and view["progress"]["total"] == "150.00"
    assert view["progress"]["periodEnd"].startswith(f"{datetime.now(UTC).year + 1}-01-01")
    refused = await call(api, tenant, CREATE_TIER, {"name": "Cents", "entryThreshold": "1.001"})
    assert refused["errors"][0]["code"] == "TOO_MANY_DECIMALS"
    # Reached this year, the tier lasts through the next one, and goes the year after.
    found = await get_program(tenant.id)
    assert found is not None
    year = datetime.now(UTC).year
    assert await review_program(found, datetime(year + 1, 12, 31, tzinfo=UTC)) == 0
    assert await review_program(found, datetime(year + 2, 1, 1, 0, 1, tzinfo=UTC)) == 1


async def test_a_rolling_window_lets_old_orders_go_and_the_daily_review_demotes(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await program(api, tenant)
    await rule(api, tenant, mode="per_order", points=150)
    await ok(api, tenant, CREATE_TIER, {"name": "Silver", "entryThreshold": "100"})
    cid = await customer(api, tenant)
    order_id = await paid_order(api, tenant, cid, [(1, "10.00")], pay=False)
    await api.data(UPDATE_ORDER, {"i": {"orderId": order_id, "status": "paid"}}, token=tenant.token)
    await earn_for_order(tenant.id, pk(order_id), now=datetime.now(UTC) - timedelta(days=300))
    await deliver(rt, tenant.id)  # the event's own delivery credits nothing more
    assert (await loyalty(api, tenant, cid))["tier"] == {"name": "Silver"}
    found = await get_program(tenant.id)
    assert found is not None
    assert await review_program(found, datetime.now(UTC) + timedelta(days=60)) == 0  # 360 days old: counted
    assert await review_program(found, datetime.now(UTC) + timedelta(days=70)) == 1  # 370 days: gone
    assert (await loyalty(api, tenant, cid))["tier"] is None
    assert (await review_tiers({"rt": rt}))[tenant.id] == 0
