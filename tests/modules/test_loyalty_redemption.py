"""Redemption and adjustments over HTTP: pending points wait, more than the balance is refused,
reserve then confirm with a manual code or release back to the same lots; adjustments are audited."""

from __future__ import annotations

import asyncio
from typing import Any

from core.models import AuditEntry
from core.tenancy import scoped
from modules.loyalty.models import Allocation, LedgerEntry, Lot, Redemption
from tests.conftest import Api, TenantFixture
from tests.modules.automation_support import customer, deliver
from tests.modules.loyalty_support import (
    ADJUST,
    CONFIRM,
    REDEEM,
    RELEASE,
    assert_ledger_holds,
    call,
    loyalty,
    ok,
    paid_order,
    pk,
    program,
    rule,
)


async def test_pending_points_cannot_be_redeemed_nor_more_than_the_balance(api: Api, rt: Any, tenant: TenantFixture,
                                                                           relay: Any) -> None:
    await program(api, tenant, pendingDays=14)
    await rule(api, tenant, mode="per_amount", points=1, per="1")
    cid = await customer(api, tenant)
    await paid_order(api, tenant, cid, [(1, "100.00")])
    await deliver(rt, tenant.id)
    view = await loyalty(api, tenant, cid)
    assert (view["balance"], view["pending"], view["available"]) == (100, 100, 0)
    refused = await call(api, tenant, REDEEM, {"customerId": cid, "points": 1})
    assert refused == {"redemption": None, "errors": [{"code": "INSUFFICIENT_POINTS", "field": ["points"],
                                                       "message": "Only 0 points can be redeemed now."}]}
    gift = await ok(api, tenant, ADJUST, {"customerId": cid, "points": 30, "reason": "Sorry for the delay"})
    assert gift["entry"]["kind"] == "ADJUST" and gift["entry"]["points"] == 30
    too_many = await call(api, tenant, REDEEM, {"customerId": cid, "points": 31}, lang="es")
    assert too_many["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    assert too_many["errors"][0]["message"] == "Solo se pueden canjear 30 puntos ahora."
    assert await scoped(Redemption, tenant.id).count() == 0
    assert await scoped(LedgerEntry, tenant.id).filter(kind="REDEEM").count() == 0

    reserved = (await ok(api, tenant, REDEEM, {"customerId": cid, "points": 20}))["redemption"]
    assert reserved["status"] == "reserved" and reserved["code"] is None
    assert (await loyalty(api, tenant, cid))["available"] == 10
    no_code = await call(api, tenant, CONFIRM, {"id": reserved["id"], "code": "  "})
    assert no_code["errors"][0]["code"] == "INVALID_CODE"
    confirmed = (await ok(api, tenant, CONFIRM, {"id": reserved["id"], "code": "LOYAL-20"}))["redemption"]
    assert confirmed == {**reserved, "status": "confirmed", "code": "LOYAL-20"}
    again = await call(api, tenant, RELEASE, {"id": reserved["id"]})
    assert again["errors"][0]["code"] == "NOT_RESERVED"

    # A reservation released gives its points back to the lot they came from.
    second = (await ok(api, tenant, REDEEM, {"customerId": cid, "points": 10}))["redemption"]
    assert (await loyalty(api, tenant, cid))["available"] == 0
    released = (await ok(api, tenant, RELEASE, {"id": second["id"]}))["redemption"]
    assert released["status"] == "released"
    view = await loyalty(api, tenant, cid)
    assert (view["balance"], view["available"]) == (110, 10)
    assert [e["node"]["kind"] for e in view["history"]["edges"]] == ["REFUND", "REDEEM", "REDEEM", "ADJUST", "EARN"]
    gift_lot = await scoped(Lot, tenant.id).get(entry_id=pk(gift["entry"]["id"]))
    assert gift_lot.remaining == 10
    redeem_entry = await scoped(Redemption, tenant.id).get(id=pk(second["id"]))
    assert [a.points for a in await scoped(Allocation, tenant.id).filter(entry_id=redeem_entry.entry_id)] == [10]
    await assert_ledger_holds(tenant.id, pk(cid))


async def test_adjustments_take_no_more_than_the_floor_and_are_audited(api: Api, tenant: TenantFixture) -> None:
    await program(api, tenant)
    cid = await customer(api, tenant)
    await ok(api, tenant, ADJUST, {"customerId": cid, "points": 5, "reason": "Goodwill"})
    below = await call(api, tenant, ADJUST, {"customerId": cid, "points": -6, "reason": "Mistake"}, lang="de")
    assert below["errors"][0]["code"] == "BELOW_FLOOR" and below["errors"][0]["field"] == ["points"]
    assert "5" in below["errors"][0]["message"] and "Punkte" in below["errors"][0]["message"]
    bad = await call(api, tenant, ADJUST, {"customerId": cid, "points": 0, "reason": " "})
    assert sorted(e["code"] for e in bad["errors"]) == ["INVALID_POINTS", "INVALID_REASON"]
    assert await scoped(LedgerEntry, tenant.id).count() == 1
    taken = await ok(api, tenant, ADJUST, {"customerId": cid, "points": -5, "reason": "Mistake"})
    assert taken["entry"]["points"] == -5
    audit = await AuditEntry.filter(tenant_id=tenant.id, action="loyalty.adjust").order_by("id")
    assert [(a.after["points"], a.after["reason"], a.actor_id) for a in audit] == [
        (5, "Goodwill", tenant.admin_id), (-5, "Mistake", tenant.admin_id)]
    assert (await loyalty(api, tenant, cid))["balance"] == 0


async def test_redemptions_at_once_never_spend_a_lot_twice(api: Api, tenant: TenantFixture) -> None:
    await program(api, tenant)
    cid = await customer(api, tenant)
    await ok(api, tenant, ADJUST, {"customerId": cid, "points": 100, "reason": "Gift"})
    results = await asyncio.gather(*(call(api, tenant, REDEEM, {"customerId": cid, "points": 60}) for _ in range(4)))
    assert sorted(bool(r["redemption"]) for r in results) == [False, False, False, True]
    assert {r["errors"][0]["code"] for r in results if r["errors"]} == {"INSUFFICIENT_POINTS"}
    assert (await loyalty(api, tenant, cid))["available"] == 40
    await assert_ledger_holds(tenant.id, pk(cid))
