"""The return portal over HTTP, end to end: the seller sets up a customer, an order and return
policies through the staff API; the buyer proves the order is theirs, sees what can go back on
which terms, asks for a return through aftersales' own checks, and follows it and its shipment.
Then what must be refused is: a wrong e-mail and an unknown order alike, someone else's order, an
expired, forged or foreign token, and too many attempts; each translated, logged without contact
data, and nothing written."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.graphql.node import to_global_id
from modules.aftersales.graphql.returns.types import ReturnRequestType
from modules.aftersales.models import ReturnLine, ReturnRequest
from modules.crm.models import Product
from modules.portal import throttle, tokens
from tests.conftest import Api, TenantFixture
from tests.modules.portal_client import clear_counters, portal, portal_data, portal_post
from tests.modules.test_aftersales_returns import EVENT, NOW, SHIP, decide, policy
from tests.modules.test_aftersales_returns import ORDER as CREATE_ORDER

CUSTOMER = """mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } errors { code } } }"""
START = """mutation($i: StartReturnInput!) { startReturn(input: $i) { token expiresAt errors { code field message } } }"""
ORDER = """query($t: String) { order(token: $t) { number status destinationCountry
  returnPolicy { windowDays returnShippingPaidBy restockingFeeBp nonReturnableCategories }
  lines { id sku quantity returnableQuantity returnableUntil notReturnableBecause unitPrice { amount currency }
          policy { windowDays returnShippingPaidBy } } } }"""
REQUEST = """mutation($i: RequestReturnInput!, $t: String) { requestReturn(input: $i, token: $t) {
  returnRequest { id kind status returnShippingPaidBy lines { orderLineId quantity reasonCode condition } }
  errors { code field message } } }"""
MY_RETURNS = """query($t: String) { myReturns(token: $t) { id status decidedAt lines { orderLineId quantity }
  shipments { carrier trackingNumber status events { status location } } } }"""
EMAIL = "Lea.Martin@Example.org"
PHONE = "+33612345678"


@pytest.fixture(autouse=True)
async def fresh_limits() -> None:
    await clear_counters()


async def buyer(api: Api, t: TenantFixture, email: str = EMAIL, phone: str = PHONE) -> str:
    data = await api.data(CUSTOMER, {"i": {"firstName": "Léa", "emails": [email], "phones": [phone],
                                           "country": "FR"}}, token=t.token)
    assert data["createCustomer"]["errors"] == [], data
    return str(data["createCustomer"]["customer"]["id"])


async def shop_order(api: Api, t: TenantFixture, customer_id: str) -> dict[str, Any]:
    """A delivered order, three days old: two jackets and a final-sale scarf (a category the French
    policy excludes; the staff API sets no product category, so the test does)."""
    number = f"#{uuid.uuid4().int % 10**9}"
    data = await api.data(CREATE_ORDER, {"i": {
        "customerId": customer_id, "number": number, "currency": "EUR", "status": "delivered",
        "placedAt": (NOW - timedelta(days=3)).isoformat(),
        "lines": [{"sku": "JKT-1", "name": "Jacket", "quantity": 2, "unitPrice": "80.00"},
                  {"sku": "SCARF-1", "name": "Scarf", "quantity": 1, "unitPrice": "20.00"}]}}, token=t.token)
    assert data["createOrder"]["errors"] == [], data
    await Product.filter(tenant_id=t.id, sku="SCARF-1").update(category="final_sale")
    return {**data["createOrder"]["order"], "number": number}


async def start(api: Api, slug: str, number: str, lang: str | None = None, **contact: str) -> dict[str, Any]:
    data = await portal_data(api, slug, START, {"i": {"orderNumber": number, **contact}}, lang=lang)
    return dict(data["startReturn"])


def line_input(line_id: str, quantity: int = 1, reason: str = "size_fit", condition: str = "new") -> dict[str, Any]:
    return {"orderLineId": line_id, "quantity": quantity, "reasonCode": reason, "condition": condition}


async def written(t: TenantFixture) -> tuple[int, int]:
    return (await ReturnRequest.filter(tenant_id=t.id).count(), await ReturnLine.filter(tenant_id=t.id).count())


async def test_a_buyer_starts_sees_the_policy_requests_and_follows_a_return(api: Api, tenant: TenantFixture) -> None:
    assert (await policy(api, tenant, windowDays=30))["errors"] == []
    fr = await policy(api, tenant, name="France", country="FR", windowDays=14, returnShippingPaidBy="MERCHANT",
                      nonReturnableCategories=["final_sale"])
    assert fr["errors"] == []
    placed = await shop_order(api, tenant, await buyer(api, tenant))
    started = await start(api, tenant.slug, placed["number"].lstrip("#"), email="  lea.martin@EXAMPLE.org ")
    assert started["errors"] == [] and started["token"].startswith("pt1.")
    assert 29 * 60 < (datetime.fromisoformat(started["expiresAt"]) - datetime.now(UTC)).total_seconds() <= 30 * 60
    token = started["token"]

    seen = (await portal_data(api, tenant.slug, ORDER, token=token))["order"]  # the token as a bearer header
    assert (seen["number"], seen["status"], seen["destinationCountry"]) == (placed["number"], "delivered", "FR")
    assert seen["returnPolicy"] == {"windowDays": 14, "returnShippingPaidBy": "merchant", "restockingFeeBp": 0,
                                    "nonReturnableCategories": ["final_sale"]}
    jacket, scarf = seen["lines"]
    assert (jacket["sku"], jacket["returnableQuantity"], jacket["notReturnableBecause"]) == ("JKT-1", 2, None)
    assert jacket["unitPrice"] == {"amount": "80.00", "currency": "EUR"} and jacket["policy"]["windowDays"] == 14
    assert (scarf["returnableQuantity"], scarf["notReturnableBecause"]) == (0, "NON_RETURNABLE_CATEGORY")

    asked = (await portal_data(api, tenant.slug, REQUEST, {"t": token, "i": {
        "lines": [line_input(jacket["id"], reason="SIZE_FIT")], "note": "Too small"}}))["requestReturn"]
    assert asked["errors"] == [], asked
    assert asked["returnRequest"]["status"] == "requested" and asked["returnRequest"]["returnShippingPaidBy"] == "merchant"
    assert asked["returnRequest"]["lines"] == [{"orderLineId": jacket["id"], "quantity": 1, "reasonCode": "size_fit",
                                                "condition": "new"}]
    row = await ReturnRequest.get(id=int(asked["returnRequest"]["id"]))
    # aftersales' own suggestion, recorded as the system (no staff user) acting through the portal
    assert (row.suggestion, row.created_by_id, row.suggestion_reasons[0]["code"]) == ("approve", None, "WITHIN_POLICY")

    # The same checks as createReturn: one jacket is left, so two are refused, and nothing is written.
    before = await written(tenant)
    too_many = (await portal_data(api, tenant.slug, REQUEST, {"t": token, "i": {
        "lines": [line_input(jacket["id"], 2)]}}, lang="fr"))["requestReturn"]
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [
        ("QUANTITY_EXCEEDS_RETURNABLE", ["lines", "0", "quantity"])], too_many
    assert too_many["errors"][0]["message"] != "Only 1 of this item can still be returned."
    bad = (await portal_data(api, tenant.slug, REQUEST, {"t": token, "i": {
        "lines": [line_input(jacket["id"], reason="because"), line_input("x")]}}))["requestReturn"]
    assert {e["code"] for e in bad["errors"]} == {"INVALID_ID"}  # ids first, then the service's checks
    assert await written(tenant) == before
    left = (await portal_data(api, tenant.slug, ORDER, {"t": token}))["order"]["lines"][0]
    assert left["returnableQuantity"] == 1

    rid = to_staff_id(asked["returnRequest"]["id"])
    assert (await decide(api, tenant, "approveReturn", rid))["errors"] == []
    ship = await api.data(SHIP, {"i": {"returnId": rid, "carrier": "DHL", "trackingNumber": f"JJD{rid[-6:]}"}},
                          token=tenant.token)
    event = {"shipmentId": ship["addReturnShipment"]["shipment"]["id"], "status": "IN_TRANSIT",
             "at": NOW.isoformat(), "location": "Lyon"}
    assert (await api.data(EVENT, {"i": event}, token=tenant.token))["addShipmentEvent"]["errors"] == []
    followed = (await portal_data(api, tenant.slug, MY_RETURNS, {"t": token}))["myReturns"]
    assert len(followed) == 1 and followed[0]["status"] == "approved" and followed[0]["decidedAt"]
    assert followed[0]["shipments"] == [{"carrier": "DHL", "trackingNumber": f"JJD{rid[-6:]}", "status": "in_transit",
                                         "events": [{"status": "in_transit", "location": "Lyon"}]}]

    by_phone = await start(api, tenant.slug, placed["number"], phone="+33 6 12 34 56 78")
    assert by_phone["errors"] == [] and by_phone["token"]


def to_staff_id(plain: str) -> str:
    return str(to_global_id(ReturnRequestType, int(plain)))


async def test_a_wrong_email_and_an_unknown_order_answer_alike_and_are_logged_without_contact_data(
        api: Api, tenant: TenantFixture, caplog: pytest.LogCaptureFixture) -> None:
    placed = await shop_order(api, tenant, await buyer(api, tenant))
    caplog.set_level(logging.INFO)
    wrong_email = await start(api, tenant.slug, placed["number"], email="someone.else@example.org", lang="de")
    unknown_order = await start(api, tenant.slug, "#999999999", email=EMAIL, lang="de")
    wrong_phone = await start(api, tenant.slug, placed["number"], phone="+33699999999", lang="de")
    assert wrong_email == unknown_order == wrong_phone
    assert wrong_email["token"] is None and [(e["code"], e["field"]) for e in wrong_email["errors"]] == [
        ("NOT_FOUND", ["orderNumber"])]
    assert wrong_email["errors"][0]["message"] != "We found no order with this number and this e-mail address or " \
                                                 "phone number."
    missing = await start(api, tenant.slug, "", lang="de")
    assert {(e["code"], e["field"][-1]) for e in missing["errors"]} == {("INVALID_NUMBER", "orderNumber"),
                                                                       ("CONTACT_REQUIRED", "email")}
    logged = caplog.text
    assert "portal startReturn refused" in logged and "NOT_FOUND" in logged
    assert "someone.else" not in logged and "lea.martin" not in logged.lower() and "699999999" not in logged


async def test_someone_elses_order_is_never_reached(api: Api, rt: Any, tenant: TenantFixture) -> None:
    mine = await shop_order(api, tenant, await buyer(api, tenant))
    other_customer = await buyer(api, tenant, email="paul@example.org", phone="+33611111111")
    theirs = await shop_order(api, tenant, other_customer)
    # My e-mail does not open their order.
    assert [e["code"] for e in (await start(api, tenant.slug, theirs["number"], email=EMAIL))["errors"]] == ["NOT_FOUND"]
    token = (await start(api, tenant.slug, mine["number"], email=EMAIL))["token"]
    before = await written(tenant)
    # Their order's line through my token: the request is for my order, whose line it is not.
    refused = (await portal_data(api, tenant.slug, REQUEST, {"t": token, "i": {
        "lines": [line_input(theirs["lines"][0]["id"])]}}))["requestReturn"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("NOT_IN_ORDER", ["lines", "0",
                                                                                      "orderLineId"])]
    # A validly signed token naming me and their order (as if it leaked from the signer) is refused too.
    mine_id = int(token.split(".")[2])
    theirs_id = int((await start(api, tenant.slug, theirs["number"], email="paul@example.org"))["token"].split(".")[3])
    crossed = tokens.issue(rt.settings.secret_key, tenant.id, mine_id, theirs_id)
    for query, variables in ((ORDER, {"t": crossed}), (MY_RETURNS, {"t": crossed}),
                             (REQUEST, {"t": crossed, "i": {"lines": [line_input(theirs["lines"][0]["id"])]}})):
        body = await portal(api, tenant.slug, query, variables)
        assert body["errors"][0]["extensions"]["code"] == "TOKEN_INVALID", body
    assert await written(tenant) == before


async def test_expired_forged_missing_and_foreign_tokens_are_refused_in_the_callers_language(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    placed = await shop_order(api, tenant, await buyer(api, tenant))
    token = (await start(api, tenant.slug, placed["number"], email=EMAIL))["token"]
    _, tid, cid, oid, _, _ = token.split(".")
    secret = rt.settings.secret_key
    expired = tokens.issue(secret, int(tid), int(cid), int(oid), expires=int(time.time()) - 1)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_order = token.replace(f".{oid}.", f".{int(oid) + 1}.", 1)  # the signature no longer matches
    foreign_key = tokens.issue("x" * 48, int(tid), int(cid), int(oid))
    cases = {"TOKEN_EXPIRED": [expired], "TOKEN_INVALID": [forged, other_order, foreign_key, "pt1.garbage"],
             "TOKEN_REQUIRED": [None]}
    before = await written(tenant)
    for code, values in cases.items():
        for value in values:
            for query, variables in ((ORDER, {"t": value}), (REQUEST, {"t": value, "i": {
                    "lines": [line_input(placed["lines"][0]["id"])]}})):
                body = await portal(api, tenant.slug, query, variables, lang="de")
                error = body["errors"][0]
                assert error["extensions"]["code"] == code, (code, value, body)
                assert "Bestellnummer" in error["message"], error  # German, not English
    # This shop's valid token at another shop's address opens nothing there.
    foreign = await portal(api, other_tenant.slug, ORDER, {"t": token})
    assert foreign["errors"][0]["extensions"]["code"] == "TOKEN_INVALID" and foreign["data"] is None
    assert await written(tenant) == before


async def test_start_return_is_rate_limited_per_order_number_and_per_address(
        api: Api, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    placed = await shop_order(api, tenant, await buyer(api, tenant))
    monkeypatch.setattr(throttle, "START_PER_ORDER", 2)
    for _ in range(2):
        assert [e["code"] for e in (await start(api, tenant.slug, placed["number"], email="guess@example.org"))[
            "errors"]] == ["NOT_FOUND"]
    # Past the limit even the right pair is refused, until the window ends.
    stopped = await start(api, tenant.slug, placed["number"], email=EMAIL, lang="es")
    assert stopped["token"] is None and stopped["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert stopped["errors"][0]["message"] != "Too many attempts: try again in 10 minutes."
    # Another order number from the same address is still tried, until the address's own limit.
    monkeypatch.setattr(throttle, "START_PER_ADDRESS", 3)
    assert [e["code"] for e in (await start(api, tenant.slug, "#1", email=EMAIL))["errors"]] == ["TOO_MANY_ATTEMPTS"]
    await clear_counters()
    assert (await start(api, tenant.slug, placed["number"], email=EMAIL))["token"]

    # Every request to the portal counts per client address: past it, 429 with Retry-After.
    monkeypatch.setattr(throttle, "PER_ADDRESS", 3)
    await clear_counters()
    answers = [await portal_post(api, tenant.slug, "{ contactForms { path } }", lang="de") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) > 0
    assert answers[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
