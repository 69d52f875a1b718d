"""What the loyalty tests share: the program, rules and tiers set over HTTP, orders paid and
refunded over HTTP, a customer's loyalty read over HTTP, and the ledger's invariant."""

from __future__ import annotations

import uuid
from typing import Any

from strawberry import relay

from core.tenancy import scoped
from modules.loyalty.models import Allocation, LedgerEntry, Lot
from tests.conftest import Api, TenantFixture

ERRORS = "errors { code field message }"
SET_PROGRAM = f"""mutation($i: SetLoyaltyProgramInput!) {{ setLoyaltyProgram(input: $i) {{
  program {{ currency pendingDays expiryPolicy expiryDays negativePolicy tierBasis tierWindow
             rules {{ id event mode points per }} tiers {{ id name entryThreshold retainThreshold }} }} {ERRORS} }} }}"""
CREATE_RULE = f"""mutation($i: LoyaltyRuleInput!) {{ createLoyaltyRule(input: $i) {{
  rule {{ id event mode basis points per minAmount }} {ERRORS} }} }}"""
CREATE_TIER = f"""mutation($i: LoyaltyTierInput!) {{ createLoyaltyTier(input: $i) {{
  tier {{ id name entryThreshold retainThreshold }} {ERRORS} }} }}"""
ADJUST = f"""mutation($i: AdjustPointsInput!) {{ adjustPoints(input: $i) {{
  entry {{ id kind points reason }} {ERRORS} }} }}"""
REDEEM = f"""mutation($i: RedeemPointsInput!) {{ redeemPoints(input: $i) {{
  redemption {{ id points status code }} {ERRORS} }} }}"""
CONFIRM = f"""mutation($i: ConfirmRedemptionInput!) {{ confirmRedemption(input: $i) {{
  redemption {{ id points status code }} {ERRORS} }} }}"""
RELEASE = f"""mutation($i: ReleaseRedemptionInput!) {{ releaseRedemption(input: $i) {{
  redemption {{ id points status }} {ERRORS} }} }}"""
LOYALTY = """query($id: ID!) { node(id: $id) { ... on Customer { loyalty {
  balance available pending lifetime nextExpiry { at points } tier { name }
  progress { total nextTier { name } toNextTier toRetain periodEnd }
  history(first: 20) { edges { node { kind points sourceType reason } } } } } } }"""
CREATE_ORDER = """mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } errors { code field } } }"""
UPDATE_ORDER = """mutation($i: UpdateOrderInput!) { updateOrder(input: $i) { order { status } errors { code } } }"""
REFUND = """mutation($i: CreateRefundInput!) { createRefund(input: $i) { refund { id } errors { code field } } }"""


async def call(api: Api, t: TenantFixture, query: str, values: dict[str, Any], lang: str | None = None
               ) -> dict[str, Any]:
    """The mutation's payload."""
    data = await api.data(query, {"i": values}, token=t.token, lang=lang)
    return dict(next(iter(data.values())))


async def ok(api: Api, t: TenantFixture, query: str, values: dict[str, Any]) -> dict[str, Any]:
    payload = await call(api, t, query, values)
    assert payload["errors"] == [], payload
    return payload


async def program(api: Api, t: TenantFixture, **values: Any) -> dict[str, Any]:
    return (await ok(api, t, SET_PROGRAM, {"currency": "EUR", **values}))["program"]


async def rule(api: Api, t: TenantFixture, **values: Any) -> dict[str, Any]:
    return (await ok(api, t, CREATE_RULE, values))["rule"]


async def paid_order(api: Api, t: TenantFixture, customer_id: str, lines: list[tuple[int, str]],
                     *, currency: str = "EUR", pay: bool = True, **money: str) -> str:
    """An order entered pending, then moved to paid (the status change loyalty listens to)."""
    data = await api.data(CREATE_ORDER, {"i": {
        "customerId": customer_id, "number": f"L-{uuid.uuid4().hex[:8]}", "currency": currency, **money,
        "lines": [{"sku": f"S{n}", "name": "Thing", "quantity": q, "unitPrice": p}
                  for n, (q, p) in enumerate(lines)]}}, token=t.token)
    assert data["createOrder"]["errors"] == [], data
    order_id = str(data["createOrder"]["order"]["id"])
    if pay:
        moved = await api.data(UPDATE_ORDER, {"i": {"orderId": order_id, "status": "paid"}}, token=t.token)
        assert moved["updateOrder"]["errors"] == [], moved
    return order_id


async def refund(api: Api, t: TenantFixture, order_id: str, amount: str) -> None:
    data = await api.data(REFUND, {"i": {"orderId": order_id, "amount": amount, "reason": "Returned"}},
                          token=t.token)
    assert data["createRefund"]["errors"] == [], data


async def loyalty(api: Api, t: TenantFixture, customer_id: str, lang: str | None = None) -> dict[str, Any]:
    data = await api.data(LOYALTY, {"id": customer_id}, token=t.token, lang=lang)
    return dict(data["node"]["loyalty"])


def pk(gid: str) -> int:
    return int(relay.GlobalID.from_id(gid).node_id)


async def assert_ledger_holds(tenant_id: int, customer_id: int) -> None:
    """balance = sum of entries = sum of lots' remainders - debts; no lot negative or over its amount;
    each lot's remainder = its amount less what allocations took from it."""
    entries = await scoped(LedgerEntry, tenant_id).filter(customer_id=customer_id)
    lots = await scoped(Lot, tenant_id).filter(customer_id=customer_id)
    allocations = await scoped(Allocation, tenant_id).filter(lot_id__in=[lot.id for lot in lots])
    assert all(0 <= lot.remaining <= lot.amount for lot in lots), [(lot.amount, lot.remaining) for lot in lots]
    assert all(e.unallocated >= 0 for e in entries)
    assert sum(e.points for e in entries) == sum(lot.remaining for lot in lots) - sum(e.unallocated for e in entries)
    for lot in lots:
        taken = sum(a.points for a in allocations if a.lot_id == lot.id)
        assert lot.amount - taken == lot.remaining, (lot.id, lot.amount, taken, lot.remaining)
