"""Returns over HTTP: policies, createReturn with its checks and suggestion, the agent's decisions,
exchanges, repairs, return shipments with the stale-shipment job, and the returns list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.access.admin import assign_role_by_name
from core.graphql.node import to_global_id
from core.identity import add_user
from core.models import OutboxEvent
from modules.aftersales.graphql.returns.types import ReturnRequestType
from modules.aftersales.jobs.returns import stale_shipments
from modules.aftersales.models import ExchangeLine, ReturnLine, ReturnPolicy, ReturnRequest, ReturnShipment
from modules.crm.models import Product
from tests.conftest import Api, TenantFixture, make_tenant
from tests.querycount import count_queries

NOW = datetime.now(UTC)
ORDER = """mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id lines { id sku } } errors { code } } }"""
POLICY_FIELDS = "id name country category windowDays nonReturnableCategories returnShippingPaidBy restockingFeeBp " \
                "isDefault restockingFeeFixed { amount currency }"
CREATE_POLICY = f"""mutation($i: ReturnPolicyInput!) {{ createReturnPolicy(input: $i) {{
  policy {{ {POLICY_FIELDS} }} errors {{ code field message }} }} }}"""
RETURN_FIELDS = """id kind status suggestion windowOverridden returnShippingPaidBy note decisionReason
  suggestionReasons { code message } lines { id orderLineId sku quantity reasonCode condition photos { url }
  unitPrice { amount currency } } order { id number } customer { displayName }"""
CREATE_RETURN = f"""mutation($i: CreateReturnInput!) {{ createReturn(input: $i) {{
  returnRequest {{ {RETURN_FIELDS} }} errors {{ code field message }} }} }}"""
DECIDE = """mutation($i: ReturnDecisionInput!) {{ {name}(input: $i) {{
  returnRequest {{ status decisionReason }} errors {{ code field message }} }} }}"""


async def customer(api: Api, t: TenantFixture, country: str = "DE") -> str:
    data = await api.data("mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } } }",
                          {"i": {"firstName": "Jonas", "country": country}}, token=t.token)
    return str(data["createCustomer"]["customer"]["id"])


async def order(api: Api, t: TenantFixture, cid: str, *, days_ago: int = 3, currency: str = "EUR",
                lines: list[dict[str, Any]] | None = None, status: str = "delivered") -> dict[str, Any]:
    lines = lines or [{"sku": "JKT-1", "name": "Jacket", "quantity": 2, "unitPrice": "50.00"},
                      {"sku": "SOCK-1", "name": "Socks", "quantity": 1, "unitPrice": "5.00"}]
    data = await api.data(ORDER, {"i": {
        "customerId": cid, "number": f"N-{datetime.now(UTC).timestamp()}", "currency": currency, "status": status,
        "placedAt": (NOW - timedelta(days=days_ago)).isoformat(), "lines": lines}}, token=t.token)
    assert data["createOrder"]["errors"] == [], data
    return dict(data["createOrder"]["order"])


def line(order_line_id: str, quantity: int = 1, reason: str = "SIZE_FIT", condition: str = "NEW",
         photos: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"orderLineId": order_line_id, "quantity": quantity, "reasonCode": reason, "condition": condition,
            "photos": photos or []}


async def create_return(api: Api, t: TenantFixture, order_id: str, lines: list[dict[str, Any]],
                        lang: str | None = None, **extra: Any) -> dict[str, Any]:
    data = await api.data(CREATE_RETURN, {"i": {"orderId": order_id, "lines": lines, **extra}}, token=t.token,
                          lang=lang)
    return dict(data["createReturn"])


async def decide(api: Api, t: TenantFixture, name: str, return_id: str, reason: str = "") -> dict[str, Any]:
    data = await api.data(DECIDE.format(name=name), {"i": {"returnId": return_id, "reason": reason}}, token=t.token)
    return dict(data[name])


async def policy(api: Api, t: TenantFixture, lang: str | None = None, **fields: Any) -> dict[str, Any]:
    data = await api.data(CREATE_POLICY, {"i": {"name": "P", **fields}}, token=t.token, lang=lang)
    return dict(data["createReturnPolicy"])


async def db_state(tenant_id: int) -> tuple[int, int, list[str]]:
    return (await ReturnRequest.filter(tenant_id=tenant_id).count(),
            await ReturnLine.filter(tenant_id=tenant_id).count(),
            sorted(await ReturnRequest.filter(tenant_id=tenant_id).values_list("status", flat=True)))  # type: ignore


async def test_return_policies_crud_validation_and_permissions(api: Api, rt: Any, tenant: TenantFixture,
                                                               other_tenant: TenantFixture) -> None:
    default = await policy(api, tenant, windowDays=30, nonReturnableCategories=["gift_cards", " "])
    assert default["errors"] == []
    assert default["policy"]["isDefault"] is True and default["policy"]["nonReturnableCategories"] == ["gift_cards"]
    de = await policy(api, tenant, name="DE", country="de", windowDays=14, returnShippingPaidBy="MERCHANT",
                      restockingFeeBp=1500, restockingFeeFixed="2.50", restockingFeeCurrency="eur")
    assert de["errors"] == []
    assert de["policy"]["country"] == "DE" and de["policy"]["restockingFeeFixed"] == {"amount": "2.50",
                                                                                     "currency": "EUR"}
    bad = await policy(api, tenant, name="", country="XX", windowDays=-1, restockingFeeBp=20_000,
                       restockingFeeFixed="1.001", restockingFeeCurrency="EUR", staleShipmentDays=0)
    assert {(e["code"], e["field"][0]) for e in bad["errors"]} == {
        ("INVALID_NAME", "name"), ("INVALID_COUNTRY", "country"), ("INVALID_WINDOW", "windowDays"),
        ("INVALID_FEE_PERCENT", "restockingFeeBp"), ("TOO_MANY_DECIMALS", "restockingFeeFixed"),
        ("INVALID_STALE_DAYS", "staleShipmentDays")}
    no_currency = await policy(api, tenant, country="FR", restockingFeeFixed="3")
    assert [e["code"] for e in no_currency["errors"]] == ["CURRENCY_REQUIRED"]
    twice = await policy(api, tenant, name="DE again", country="DE", lang="es")
    assert [e["code"] for e in twice["errors"]] == ["POLICY_EXISTS"]
    assert await ReturnPolicy.filter(tenant_id=tenant.id).count() == 2
    update = """mutation($i: UpdateReturnPolicyInput!) { updateReturnPolicy(input: $i) {
      policy { windowDays name } errors { code field } } }"""
    changed = await api.data(update, {"i": {"id": de["policy"]["id"], "policy": {"name": "Germany", "country": "DE",
                                                                               "windowDays": 21}}}, token=tenant.token)
    assert changed["updateReturnPolicy"] == {"policy": {"windowDays": 21, "name": "Germany"}, "errors": []}
    theirs = await api.data(update, {"i": {"id": de["policy"]["id"], "policy": {"name": "x"}}},
                            token=other_tenant.token)
    assert theirs["updateReturnPolicy"]["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    agent = await make_tenant(api, rt, role="agent")
    forbidden = await api.post(CREATE_POLICY, {"i": {"name": "x"}}, token=agent.token)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await api.data("{ returnPolicies { name isDefault } }", token=tenant.token)
    assert listed["returnPolicies"] == [{"name": "P", "isDefault": True}, {"name": "Germany", "isDefault": False}]
    delete = "mutation($i: DeleteReturnPolicyInput!) { deleteReturnPolicy(input: $i) { deletedId errors { code } } }"
    assert (await api.data(delete, {"i": {"id": de["policy"]["id"]}}, token=other_tenant.token)
            )["deleteReturnPolicy"]["errors"] == [{"code": "NOT_FOUND"}]
    assert (await api.data(delete, {"i": {"id": de["policy"]["id"]}}, token=tenant.token)
            )["deleteReturnPolicy"]["errors"] == []
    assert await ReturnPolicy.filter(tenant_id=tenant.id).count() == 1


async def test_create_return_checks_quantities_lines_and_tenants(api: Api, tenant: TenantFixture,
                                                                 other_tenant: TenantFixture) -> None:
    cid = await customer(api, tenant)
    o = await order(api, tenant, cid)
    jacket, socks = o["lines"][0]["id"], o["lines"][1]["id"]
    other_order = await order(api, tenant, cid)
    photos = [{"name": "tear.jpg", "contentType": "image/jpeg", "size": 2048, "url": "https://cdn.example/t.jpg"}]
    first = await create_return(api, tenant, o["id"], [line(jacket, 1, "DAMAGED", "DAMAGED", photos)],
                                note="Torn seam")
    assert first["errors"] == []
    created = first["returnRequest"]
    assert (created["status"], created["suggestion"], created["returnShippingPaidBy"]) == \
        ("REQUESTED", "APPROVE", "MERCHANT")  # a fault: the merchant pays return shipping
    assert created["suggestionReasons"] == [{"code": "WITHIN_POLICY",
                                             "message": "Within the 30-day return window and returnable."}]
    assert created["lines"][0]["photos"] == [{"url": "https://cdn.example/t.jpg"}]
    assert created["lines"][0]["unitPrice"] == {"amount": "50.00", "currency": "EUR"}
    assert created["customer"] == {"displayName": "Jonas"}
    before = await db_state(tenant.id)

    # Across two returns: one jacket is already claimed, two are asked for.
    again = await create_return(api, tenant, o["id"], [line(jacket, 2), line(socks, 1)], lang="es")
    assert [(e["code"], e["field"]) for e in again["errors"]] == [
        ("QUANTITY_EXCEEDS_RETURNABLE", ["lines", "0", "quantity"])]
    assert "1" in again["errors"][0]["message"] and again["errors"][0]["message"] != \
        "Only 1 of this item can still be returned."
    assert again["returnRequest"] is None
    more_than_bought = await create_return(api, tenant, o["id"], [line(socks, 2)])
    assert more_than_bought["errors"][0]["code"] == "QUANTITY_EXCEEDS_RETURNABLE"
    bad = await create_return(api, tenant, o["id"], [line(jacket, 0), line(socks, -1)])
    assert {(e["code"], tuple(e["field"])) for e in bad["errors"]} == {
        ("INVALID_QUANTITY", ("lines", "0", "quantity")), ("INVALID_QUANTITY", ("lines", "1", "quantity"))}
    not_in_order = await create_return(api, tenant, o["id"], [line(other_order["lines"][0]["id"])])
    assert [(e["code"], e["field"]) for e in not_in_order["errors"]] == [
        ("NOT_IN_ORDER", ["lines", "0", "orderLineId"])]
    garbage = await create_return(api, tenant, o["id"], [line("abc")])
    assert garbage["errors"][0]["code"] == "INVALID_ID"
    bad_photo = await create_return(api, tenant, o["id"], [line(socks, 1, photos=[
        {"name": "x.exe", "contentType": "application/x-msdownload", "size": 10, "url": "file:///etc/passwd"}])])
    assert bad_photo["errors"][0]["code"] == "INVALID_PHOTO"
    # Another tenant's order (and its lines) are not found.
    theirs = await create_return(api, other_tenant, o["id"], [line(jacket)])
    assert [(e["code"], e["field"]) for e in theirs["errors"]] == [("NOT_FOUND", ["orderId"])]
    assert await db_state(tenant.id) == before and await db_state(other_tenant.id) == (0, 0, [])

    # A rejected request frees its items again.
    rejected = await decide(api, tenant, "rejectReturn", created["id"], "Seam was cut on purpose")
    assert rejected == {"returnRequest": {"status": "REJECTED", "decisionReason": "Seam was cut on purpose"},
                        "errors": []}
    assert (await create_return(api, tenant, o["id"], [line(jacket, 2)]))["errors"] == []


async def test_policy_window_and_suggestions(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await policy(api, tenant, windowDays=30, nonReturnableCategories=["underwear"])
    await policy(api, tenant, name="DE", country="DE", windowDays=14, nonReturnableCategories=["underwear"])
    de, us = await customer(api, tenant, "DE"), await customer(api, tenant, "US")
    late_de = await order(api, tenant, de, days_ago=20)
    late_us = await order(api, tenant, us, days_ago=20)
    jacket = late_de["lines"][0]["id"]
    before = await db_state(tenant.id)
    for lang, expected in (("en", "The 14-day return window ended on "), ("es", None), ("zh-CN", None)):
        refused = await create_return(api, tenant, late_de["id"], [line(jacket)], lang=lang)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("RETURN_WINDOW_EXPIRED", ["orderId"])]
        message = refused["errors"][0]["message"]
        deadline = (NOW - timedelta(days=6)).date().isoformat()
        assert deadline in message and "14" in message
        assert message.startswith(expected) if expected else not message.startswith("The 14-day")
    # An agent without aftersales.settings:write cannot override; nothing was written.
    user = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", "correct horse battery")
    await assign_role_by_name(tenant.id, user.id, "agent")
    rt.access.invalidate(tenant.id)
    agent_token = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    denied = await api.data(CREATE_RETURN, {"i": {"orderId": late_de["id"], "lines": [line(jacket)],
                                                  "override": True}}, token=agent_token)
    assert denied["createReturn"]["errors"][0]["code"] == "OVERRIDE_NOT_ALLOWED"
    assert await db_state(tenant.id) == before
    # The US (default policy, 30 days) is still inside its window.
    us_return = await create_return(api, tenant, late_us["id"], [line(late_us["lines"][0]["id"])])
    assert us_return["errors"] == [] and us_return["returnRequest"]["suggestion"] == "APPROVE"
    # An admin overrides: accepted, for review.
    overridden = await create_return(api, tenant, late_de["id"], [line(jacket)], override=True)
    assert overridden["errors"] == []
    assert overridden["returnRequest"]["windowOverridden"] is True
    assert overridden["returnRequest"]["suggestion"] == "REVIEW"
    assert overridden["returnRequest"]["suggestionReasons"][0]["code"] == "WINDOW_OVERRIDDEN"
    # Non-returnable category: suggested for rejection, with the reason translated.
    await Product.filter(tenant_id=tenant.id, sku="SOCK-1").update(category="underwear")
    fresh = await order(api, tenant, de, days_ago=2)
    socks = await create_return(api, tenant, fresh["id"], [line(fresh["lines"][1]["id"], 1, "NO_LONGER_NEEDED",
                                                                "USED")], lang="es")
    reasons = socks["returnRequest"]["suggestionReasons"]
    assert socks["returnRequest"]["suggestion"] == "REJECT"
    assert [r["code"] for r in reasons] == ["NON_RETURNABLE_CATEGORY", "USED_WITHOUT_FAULT"]
    assert "SOCK-1" in reasons[0]["message"] and "underwear" in reasons[0]["message"]
    assert not reasons[0]["message"].startswith("SOCK-1 is in the category")
    # Not delivered yet: review.
    shipped = await order(api, tenant, de, days_ago=1, status="shipped")
    pending = await create_return(api, tenant, shipped["id"], [line(shipped["lines"][0]["id"])])
    assert pending["returnRequest"]["suggestion"] == "REVIEW"
    assert [r["code"] for r in pending["returnRequest"]["suggestionReasons"]] == ["NOT_DELIVERED"]
    unpaid = await order(api, tenant, de, status="pending")
    refused = await create_return(api, tenant, unpaid["id"], [line(unpaid["lines"][0]["id"])])
    assert refused["errors"][0]["code"] == "ORDER_NOT_RETURNABLE"


async def test_status_machine_allows_only_its_transitions(api: Api, tenant: TenantFixture,
                                                          other_tenant: TenantFixture) -> None:
    o = await order(api, tenant, await customer(api, tenant))
    rid = (await create_return(api, tenant, o["id"], [line(o["lines"][0]["id"])]))["returnRequest"]["id"]
    no_reason = await decide(api, tenant, "rejectReturn", rid)
    assert no_reason["errors"] == [{"code": "REASON_REQUIRED", "field": ["reason"],
                                    "message": "Say why the return is rejected."}]
    assert (await decide(api, tenant, "receiveReturn", rid))["errors"][0]["code"] == "INVALID_TRANSITION"
    assert (await decide(api, other_tenant, "approveReturn", rid))["errors"][0]["code"] == "NOT_FOUND"
    assert (await decide(api, tenant, "approveReturn", rid))["returnRequest"]["status"] == "APPROVED"
    twice = await api.data(DECIDE.format(name="approveReturn"), {"i": {"returnId": rid}}, token=tenant.token,
                           lang="es")
    assert twice["approveReturn"]["errors"][0]["code"] == "INVALID_TRANSITION"
    assert "approved" in twice["approveReturn"]["errors"][0]["message"]
    assert not twice["approveReturn"]["errors"][0]["message"].startswith("A return that is")
    assert (await decide(api, tenant, "receiveReturn", rid))["returnRequest"]["status"] == "RECEIVED"
    assert (await decide(api, tenant, "cancelReturn", rid))["errors"][0]["code"] == "INVALID_TRANSITION"
    assert (await ReturnRequest.get(id=ReturnRequestType_pk(rid))).status == "received"
    assert (await decide(api, tenant, "closeReturn", rid))["returnRequest"]["status"] == "CLOSED"
    wrong_type = await decide(api, tenant, "approveReturn", o["id"])
    assert wrong_type["errors"][0]["code"] == "INVALID_ID"


def ReturnRequestType_pk(gid: str) -> int:  # noqa: N802
    import base64
    return int(base64.b64decode(gid).decode().split(":")[1])


async def test_exchange_and_repair(api: Api, tenant: TenantFixture) -> None:
    o = await order(api, tenant, await customer(api, tenant))
    await Product.create(tenant_id=tenant.id, sku="JKT-1-L", name="Jacket L")
    rid = (await create_return(api, tenant, o["id"], [line(o["lines"][0]["id"], 2), line(o["lines"][1]["id"])],
                               kind="EXCHANGE"))["returnRequest"]["id"]
    exchange = """mutation($i: ExchangeReturnInput!) { exchangeReturn(input: $i) {
      returnRequest { status kind exchangeLines { sku name quantity } } errors { code field } } }"""
    early = await api.data(exchange, {"i": {"returnId": rid}}, token=tenant.token)
    assert early["exchangeReturn"]["errors"][0]["code"] == "INVALID_TRANSITION"
    await decide(api, tenant, "approveReturn", rid)
    await decide(api, tenant, "receiveReturn", rid)
    lines = (await api.data(f"query($id: ID!) {{ returnRequest(id: $id) {{ {RETURN_FIELDS} }} }}", {"id": rid},
                            token=tenant.token))["returnRequest"]["lines"]
    bad = await api.data(exchange, {"i": {"returnId": rid, "lines": [
        {"returnLineId": lines[0]["id"], "sku": "NOPE", "quantity": 3}]}}, token=tenant.token)
    assert {(e["code"], tuple(e["field"])) for e in bad["exchangeReturn"]["errors"]} == {
        ("INVALID_QUANTITY_RANGE", ("lines", "0", "quantity")), ("NOT_FOUND", ("lines", "0", "sku"))}
    assert await ExchangeLine.filter(tenant_id=tenant.id).count() == 0
    done = await api.data(exchange, {"i": {"returnId": rid, "lines": [
        {"returnLineId": lines[0]["id"], "sku": "JKT-1-L"}, {"returnLineId": lines[1]["id"]}]}}, token=tenant.token)
    assert done["exchangeReturn"] == {"returnRequest": {"status": "EXCHANGED", "kind": "EXCHANGE", "exchangeLines": [
        {"sku": "JKT-1-L", "name": "Jacket L", "quantity": 2}, {"sku": "SOCK-1", "name": "Socks", "quantity": 1}]},
        "errors": []}

    repair_rid = (await create_return(api, tenant, o["id"], [line(o["lines"][1]["id"], 1, "DEFECTIVE")],
                                      kind="REPAIR"))["errors"]
    assert repair_rid[0]["code"] == "QUANTITY_EXCEEDS_RETURNABLE"  # the socks are in the exchange already
    o2 = await order(api, tenant, await customer(api, tenant))
    rid2 = (await create_return(api, tenant, o2["id"], [line(o2["lines"][0]["id"], 1, "DEFECTIVE")],
                                kind="REPAIR"))["returnRequest"]["id"]
    start = """mutation($i: StartRepairInput!) { startRepair(input: $i) { repair { id status } errors { code } } }"""
    assert (await api.data(start, {"i": {"returnId": rid2}}, token=tenant.token)
            )["startRepair"]["errors"] == [{"code": "REPAIR_NOT_STARTABLE"}]
    await decide(api, tenant, "approveReturn", rid2)
    await decide(api, tenant, "receiveReturn", rid2)
    repair = (await api.data(start, {"i": {"returnId": rid2, "note": "Zip"}}, token=tenant.token))["startRepair"]
    assert repair["repair"]["status"] == "RECEIVED"
    advance = """mutation($i: AdvanceRepairInput!) { advanceRepair(input: $i) {
      repair { status events { status note } } errors { code } } }"""
    skip = await api.data(advance, {"i": {"repairId": repair["repair"]["id"], "status": "REPAIRED"}},
                          token=tenant.token)
    assert skip["advanceRepair"]["errors"] == [{"code": "INVALID_REPAIR_STEP"}]
    for step in ("DIAGNOSING", "REPAIRING", "REPAIRED", "RETURNED_TO_CUSTOMER"):
        result = await api.data(advance, {"i": {"repairId": repair["repair"]["id"], "status": step}},
                                token=tenant.token)
        assert result["advanceRepair"]["errors"] == [] and result["advanceRepair"]["repair"]["status"] == step
    assert [e["status"] for e in result["advanceRepair"]["repair"]["events"]] == [
        "RECEIVED", "DIAGNOSING", "REPAIRING", "REPAIRED", "RETURNED_TO_CUSTOMER"]
    final = await api.data("query($id: ID!) { returnRequest(id: $id) { status repair { status } } }", {"id": rid2},
                           token=tenant.token)
    assert final["returnRequest"] == {"status": "REPAIRED", "repair": {"status": "RETURNED_TO_CUSTOMER"}}


SHIP = """mutation($i: AddReturnShipmentInput!) { addReturnShipment(input: $i) {
  shipment { id status carrier } errors { code field } } }"""
EVENT = """mutation($i: AddShipmentEventInput!) { addShipmentEvent(input: $i) {
  shipment { status lastMovementAt staleAlertedAt events { status location } } errors { code field } } }"""


async def test_shipments_and_the_stale_shipment_job(api: Api, tenant: TenantFixture,
                                                    other_tenant: TenantFixture) -> None:
    await policy(api, tenant, staleShipmentDays=5)
    o = await order(api, tenant, await customer(api, tenant))
    rid = (await create_return(api, tenant, o["id"], [line(o["lines"][0]["id"])]))["returnRequest"]["id"]
    early = await api.data(SHIP, {"i": {"returnId": rid, "carrier": "DHL", "trackingNumber": "X1"}},
                           token=tenant.token)
    assert early["addReturnShipment"]["errors"] == [{"code": "RETURN_NOT_SHIPPABLE", "field": ["returnId"]}]
    await decide(api, tenant, "approveReturn", rid)
    shipped = await api.data(SHIP, {"i": {"returnId": rid, "carrier": "DHL", "trackingNumber": "X1"}},
                             token=tenant.token)
    sid = shipped["addReturnShipment"]["shipment"]["id"]
    dup = await api.data(SHIP, {"i": {"returnId": rid, "carrier": "DHL", "trackingNumber": "X1"}}, token=tenant.token)
    assert dup["addReturnShipment"]["errors"] == [{"code": "SHIPMENT_EXISTS", "field": ["trackingNumber"]}]
    t1 = NOW - timedelta(days=9)
    ev = await api.data(EVENT, {"i": {"shipmentId": sid, "status": "IN_TRANSIT", "at": t1.isoformat(),
                                      "location": "Leipzig"}}, token=tenant.token)
    assert ev["addShipmentEvent"]["errors"] == []
    # Older event arriving late: kept, but the status follows the newest.
    await api.data(EVENT, {"i": {"shipmentId": sid, "status": "LABEL_CREATED",
                                 "at": (t1 - timedelta(days=1)).isoformat()}}, token=tenant.token)
    future = await api.data(EVENT, {"i": {"shipmentId": sid, "status": "DELIVERED",
                                          "at": (NOW + timedelta(days=2)).isoformat()}}, token=tenant.token)
    assert future["addShipmentEvent"]["errors"] == [{"code": "FUTURE_TIME", "field": ["at"]}]
    theirs = await api.data(EVENT, {"i": {"shipmentId": sid, "status": "DELIVERED", "at": NOW.isoformat()}},
                            token=other_tenant.token)
    assert theirs["addShipmentEvent"]["errors"] == [{"code": "NOT_FOUND", "field": ["shipmentId"]}]
    # The shipment stopped moving 9 days ago (created now, but its last event says 9 days): no, creation counts
    # as movement; put the creation back too.
    await ReturnShipment.filter(tenant_id=tenant.id).update(last_movement_at=t1)
    stale_before = await OutboxEvent.filter(topic="aftersales.shipment_stale", tenant_id=tenant.id).count()
    assert await stale_shipments({}) >= 1
    assert await stale_shipments({}) == 0  # idempotent: alerted once
    events = await OutboxEvent.filter(topic="aftersales.shipment_stale", tenant_id=tenant.id)
    assert len(events) - stale_before == 1 and events[-1].payload["tracking_number"] == "X1"
    status = await api.data("query($id: ID!) { node(id: $id) { ... on ReturnShipment { status staleAlertedAt "
                            "events { status location } } } }", {"id": sid}, token=tenant.token)
    assert status["node"]["status"] == "IN_TRANSIT" and status["node"]["staleAlertedAt"]
    assert status["node"]["events"] == [{"status": "LABEL_CREATED", "location": ""},
                                        {"status": "IN_TRANSIT", "location": "Leipzig"}]
    # Movement re-arms the alert; delivered shipments are never stale.
    moved = await api.data(EVENT, {"i": {"shipmentId": sid, "status": "DELIVERED", "at": NOW.isoformat()}},
                           token=tenant.token)
    assert moved["addShipmentEvent"]["shipment"]["staleAlertedAt"] is None
    await ReturnShipment.filter(tenant_id=tenant.id).update(last_movement_at=t1)
    assert await stale_shipments({}) == 0
    assert await OutboxEvent.filter(topic="aftersales.shipment_stale", tenant_id=tenant.id).count() == len(events)


PAGE = """query($f: ReturnFilterInput, $after: String) { returns(first: 3, filter: $f, after: $after) {
  edges { node { id status suggestion lines { sku quantity unitPrice { formatted } } order { number }
                 refunds { amount { amount } } shipments { carrier } } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_returns_list_filters_pages_and_constant_queries(api: Api, tenant: TenantFixture,
                                                               other_tenant: TenantFixture) -> None:
    cid = await customer(api, tenant)
    ids = []
    for _ in range(6):
        o = await order(api, tenant, cid)
        ids.append((await create_return(api, tenant, o["id"], [line(o["lines"][0]["id"]), line(o["lines"][1]["id"])]
                                        ))["returnRequest"]["id"])
    await decide(api, tenant, "approveReturn", ids[0])
    theirs = await order(api, other_tenant, await customer(api, other_tenant))
    await create_return(api, other_tenant, theirs["id"], [line(theirs["lines"][0]["id"])])
    seen: list[str] = []
    after = None
    while True:
        page = (await api.data(PAGE, {"after": after}, token=tenant.token))["returns"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(ids))
    approved = await api.data(PAGE, {"f": {"statuses": ["APPROVED"]}}, token=tenant.token)
    assert [e["node"]["id"] for e in approved["returns"]["edges"]] == [ids[0]]
    by_customer = await api.data(PAGE, {"f": {"customerId": cid, "suggestions": ["APPROVE"]}}, token=tenant.token)
    assert len(by_customer["returns"]["edges"]) == 3
    bad = await api.post(PAGE, {"f": {"orderId": cid}}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"
    their_page = (await api.data(PAGE, {}, token=other_tenant.token))["returns"]["edges"]
    assert len(their_page) == 1 and their_page[0]["node"]["id"] not in ids
    one = "query { returns(first: 1) { edges { node { lines { sku } order { number } refunds { id } } } } }"
    with count_queries() as small:
        await api.data(one, token=tenant.token)
    with count_queries() as large:
        await api.data(one.replace("first: 1", "first: 6"), token=tenant.token)
    assert len(large) == len(small), (small, large)
    # Order.returns through crm's Order type.
    node = await api.data("query($id: ID!) { node(id: $id) { ... on ReturnRequest { order { id returns { id } } } } }",
                          {"id": ids[0]}, token=tenant.token)
    assert node["node"]["order"]["returns"] == [{"id": ids[0]}]
    assert to_global_id(ReturnRequestType, ReturnRequestType_pk(ids[0])) == ids[0]


async def test_concurrent_returns_cannot_claim_more_than_bought(api: Api, tenant: TenantFixture) -> None:
    import asyncio

    from core.auth.principal import Principal
    from core.errors import UserFacingErrors
    from modules.aftersales.services.returns import requests as returns

    o = await order(api, tenant, await customer(api, tenant))  # 2 jackets
    actor = Principal(tenant.admin_id, tenant.id)
    data = returns.ReturnInput(order_id=ReturnRequestType_pk(o["id"]), lines=[returns.LineInput(
        order_line_id=int(o["lines"][0]["id"]), quantity=1, reason_code="size_fit", condition="new")])

    async def attempt() -> bool:
        try:
            await returns.create_return(actor, data, can_override=False)
            return True
        except UserFacingErrors as exc:
            assert [e.code for e in exc.errors] == ["QUANTITY_EXCEEDS_RETURNABLE"]
            return False

    results = await asyncio.gather(*(attempt() for _ in range(5)))
    assert results.count(True) == 2
    assert sum(await ReturnLine.filter(tenant_id=tenant.id).values_list("quantity", flat=True)) == 2  # type: ignore
