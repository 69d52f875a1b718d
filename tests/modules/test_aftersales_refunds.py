"""Refunds over HTTP: exact money in the order's currency, never more than refundable, restocking
fees, the audit entry and outbox event, Order.refunds / refundableAmount, and concurrency."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from core.auth.principal import Principal
from core.errors import UserFacingError
from core.models import AuditEntry, OutboxEvent
from modules.aftersales.models import Refund, ReturnRequest
from modules.aftersales.services.returns import refunds
from tests.conftest import Api, TenantFixture, make_tenant
from tests.modules.test_aftersales_returns import create_return, customer, decide, line, order, policy

REFUND = """mutation($i: CreateRefundInput!) { createRefund(input: $i) {
  refund { id status reason amount { amount currency formatted } restockingFee { amount }
           returnRequest { id status } order { number } }
  errors { code field message } } }"""
ORDER_MONEY = """query($id: ID!) { node(id: $id) { ... on Order {
  refundableAmount { amount formatted } refunds { amount { amount } } returns { status } } } }"""


async def refund(api: Api, t: TenantFixture, lang: str | None = None, **fields: Any) -> dict[str, Any]:
    data = await api.data(REFUND, {"i": {"reason": "Damaged in transit", **fields}}, token=t.token, lang=lang)
    return dict(data["createRefund"])


def _pk(gid: str) -> int:
    import base64
    return int(base64.b64decode(gid).decode().split(":")[1])


async def test_refunds_are_exact_and_never_exceed_what_is_left(api: Api, tenant: TenantFixture,
                                                                other_tenant: TenantFixture) -> None:
    o = await order(api, tenant, await customer(api, tenant))  # 2 x 50.00 + 5.00 = 105.00 EUR
    first = await refund(api, tenant, orderId=o["id"], amount="30.10", lang="de-DE")
    assert first["errors"] == []
    assert first["refund"]["amount"] == {"amount": "30.10", "currency": "EUR", "formatted": "30,10\xa0€"}
    assert first["refund"]["status"] == "pending"
    before = await Refund.filter(tenant_id=tenant.id).count()
    too_much = await refund(api, tenant, orderId=o["id"], amount="74.91")
    assert too_much["errors"] == [{"code": "REFUND_EXCEEDS_REFUNDABLE", "field": ["amount"],
                                   "message": "At most 74.90 EUR can be refunded."}]
    es = await refund(api, tenant, orderId=o["id"], amount="74.91", lang="es")
    assert es["errors"][0]["message"] == "Se pueden reembolsar como máximo 74.90 EUR."
    cases = {"10.001": "TOO_MANY_DECIMALS", "0": "AMOUNT_NOT_POSITIVE", "-5": "AMOUNT_NOT_POSITIVE"}
    for amount, code in cases.items():
        bad = await refund(api, tenant, orderId=o["id"], amount=amount)
        assert [e["code"] for e in bad["errors"]] == [code], amount
    both = await refund(api, tenant, orderId=o["id"], amount="1", full=True)
    assert both["errors"][0]["code"] == "AMOUNT_OR_FULL"
    no_reason = await refund(api, tenant, orderId=o["id"], amount="1", reason="  ")
    assert no_reason["errors"][0]["code"] == "INVALID_REASON"
    fee_alone = await refund(api, tenant, orderId=o["id"], amount="1", applyRestockingFee=True)
    assert fee_alone["errors"][0]["code"] == "FEE_NEEDS_RETURN"
    theirs = await refund(api, other_tenant, orderId=o["id"], amount="1")
    assert theirs["errors"] == [{"code": "NOT_FOUND", "field": ["orderId"], "message": "No such order."}]
    assert await Refund.filter(tenant_id=tenant.id).count() == before
    assert await Refund.filter(tenant_id=other_tenant.id).count() == 0

    full = await refund(api, tenant, orderId=o["id"], full=True)
    assert full["refund"]["amount"]["amount"] == "74.90"
    nothing = await refund(api, tenant, orderId=o["id"], full=True)
    assert nothing["errors"][0]["code"] == "NOTHING_TO_REFUND"
    money = await api.data(ORDER_MONEY, {"id": o["id"]}, token=tenant.token)
    assert money["node"]["refundableAmount"]["amount"] == "0.00"
    assert [r["amount"]["amount"] for r in money["node"]["refunds"]] == ["30.10", "74.90"]
    # The connector reports a failure: that amount is refundable again.
    await refunds.set_refund_status(tenant.id, _pk(full["refund"]["id"]), "failed")
    money = await api.data(ORDER_MONEY, {"id": o["id"]}, token=tenant.token, lang="de-DE")
    assert money["node"]["refundableAmount"] == {"amount": "74.90", "formatted": "74,90\xa0€"}
    # An English-speaking agent quotes the amount in the customer's locale.
    quoted = await api.data("""query($id: ID!) { node(id: $id) { ... on Order { refundableAmount {
        formatted fr: formattedIn(locale: "fr-FR") ja: formattedIn(locale: "ja") bad: formattedIn(locale: "!!") } } } }""",
                            {"id": o["id"]}, token=tenant.token, lang="en-US")
    assert quoted["node"]["refundableAmount"] == {"formatted": "€74.90", "fr": "74,90\xa0€", "ja": "€74.90",
                                                  "bad": "€74.90"}
    latest = await refunds.latest_refund(tenant.id, _pk(o["id"]))
    assert latest is not None and latest.amount == 3010
    # An audit entry and an outbox event for the payment connector, per refund.
    audit = await AuditEntry.filter(tenant_id=tenant.id, action="refund.create").order_by("id")
    assert [a.after["amount"] for a in audit] == [3010, 7490]
    events = await OutboxEvent.filter(tenant_id=tenant.id, topic="aftersales.refund_created").order_by("created_at")
    assert [(e.payload["amount"], e.payload["currency"]) for e in events] == [(3010, "EUR"), (7490, "EUR")]


async def test_currency_precision_jpy(api: Api, tenant: TenantFixture) -> None:
    o = await order(api, tenant, await customer(api, tenant, "JP"), currency="JPY",
                    lines=[{"sku": "TEA", "name": "Tea", "quantity": 1, "unitPrice": "1500"}])
    bad = await refund(api, tenant, orderId=o["id"], amount="1.5")
    assert bad["errors"][0]["code"] == "TOO_MANY_DECIMALS" and "0" in bad["errors"][0]["message"]
    ok = await refund(api, tenant, orderId=o["id"], amount="1500", lang="ja-JP")
    assert ok["refund"]["amount"]["amount"] == "1500" and ok["refund"]["amount"]["formatted"] == "￥1,500"
    assert await Refund.filter(tenant_id=tenant.id).count() == 1


async def test_refund_for_a_return_with_restocking_fee(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await policy(api, tenant, restockingFeeBp=1500, restockingFeeFixed="1.00", restockingFeeCurrency="EUR")
    o = await order(api, tenant, await customer(api, tenant))
    other = await order(api, tenant, await customer(api, tenant))
    rid = (await create_return(api, tenant, o["id"], [line(o["lines"][0]["id"], 1)]))["returnRequest"]["id"]
    not_yet = await refund(api, tenant, orderId=o["id"], returnId=rid, full=True)
    assert not_yet["errors"][0]["code"] == "RETURN_NOT_REFUNDABLE"
    wrong_order = await refund(api, tenant, orderId=other["id"], returnId=rid, full=True)
    assert wrong_order["errors"][0]["code"] == "RETURN_NOT_FOR_ORDER"
    await decide(api, tenant, "approveReturn", rid)
    await decide(api, tenant, "receiveReturn", rid)
    # Returned value 50.00: fee 15% = 7.50 + 1.00 fixed = 8.50; refundable 105.00 - 8.50 = 96.50.
    over = await refund(api, tenant, orderId=o["id"], returnId=rid, amount="96.51", applyRestockingFee=True)
    assert over["errors"][0]["message"] == "At most 96.50 EUR can be refunded."
    assert (await ReturnRequest.get(id=_pk(rid))).status == "received"
    done = await refund(api, tenant, orderId=o["id"], returnId=rid, amount="41.50", applyRestockingFee=True)
    assert done["errors"] == []
    assert done["refund"]["restockingFee"] == {"amount": "8.50"}
    assert done["refund"]["returnRequest"] == {"id": rid, "status": "REFUNDED"}
    view = await api.data(ORDER_MONEY, {"id": o["id"]}, token=tenant.token)
    assert view["node"]["refundableAmount"]["amount"] == "63.50"
    assert view["node"]["returns"] == [{"status": "REFUNDED"}]
    # Agents cannot refund (aftersales.refund:write is for supervisors and admins).
    agent = await make_tenant(api, rt, role="agent")
    body = await api.post(REFUND, {"i": {"orderId": o["id"], "amount": "1", "reason": "x"}}, token=agent.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_concurrent_refunds_cannot_exceed_the_total(api: Api, tenant: TenantFixture) -> None:
    o = await order(api, tenant, await customer(api, tenant))  # 105.00
    actor = Principal(tenant.admin_id, tenant.id)

    async def attempt() -> bool:
        try:
            await refunds.create_refund(actor, refunds.RefundInput(order_id=_pk(o["id"]), reason="race",
                                                                   amount=Decimal("60.00")))
            return True
        except UserFacingError as exc:
            assert exc.code == "REFUND_EXCEEDS_REFUNDABLE"
            return False

    results = await asyncio.gather(*(attempt() for _ in range(4)))
    assert results.count(True) == 1
    assert sum(r.amount for r in await Refund.filter(tenant_id=tenant.id)) == 6000


async def test_only_money_that_was_paid_can_be_refunded(api: Api, tenant: TenantFixture) -> None:
    """A pending (unpaid) order, or one cancelled before payment, has nothing to give back; cancelled
    after payment, it has its total."""
    cid = await customer(api, tenant)
    unpaid = await order(api, tenant, cid, status="pending")
    cancelled = await order(api, tenant, cid, status="pending")
    await api.data("""mutation($i: UpdateOrderInput!) { updateOrder(input: $i) { errors { code } } }""",
                   {"i": {"orderId": cancelled["id"], "status": "cancelled"}}, token=tenant.token)
    before = await Refund.filter(tenant_id=tenant.id).count()
    for o in (unpaid, cancelled):
        for fields in ({"full": True}, {"amount": "1.00"}):
            refused = await refund(api, tenant, orderId=o["id"], **fields)
            assert refused["refund"] is None
            assert [(e["code"], e["field"]) for e in refused["errors"]] == [("ORDER_NOT_PAID", ["orderId"])]
        shown = await api.data(ORDER_MONEY, {"id": o["id"]}, token=tenant.token)
        assert shown["node"]["refundableAmount"]["amount"] == "0.00"
    assert await Refund.filter(tenant_id=tenant.id).count() == before
    paid_then_cancelled = await order(api, tenant, cid, status="paid")
    await api.data("""mutation($i: UpdateOrderInput!) { updateOrder(input: $i) { errors { code } } }""",
                   {"i": {"orderId": paid_then_cancelled["id"], "status": "cancelled"}}, token=tenant.token)
    done = await refund(api, tenant, orderId=paid_then_cancelled["id"], full=True)
    assert done["errors"] == [] and done["refund"]["amount"]["amount"] == "105.00"
