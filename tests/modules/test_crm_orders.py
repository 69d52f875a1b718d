"""Orders entered by hand over HTTP: exact money, computed totals, clear errors, nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry import relay

from core.graphql.node import to_global_id
from core.models import AuditEntry, OutboxEvent
from modules.crm.graphql.types import SalesChannelType
from modules.crm.models import Order, OrderLine, Product, SalesChannel
from tests.conftest import Api, TenantFixture

CREATE_CUSTOMER = 'mutation { createCustomer(input: {firstName: "Ola"}) { customer { id } } }'
CREATE = """mutation($i: CreateOrderInput!) { createOrder(input: $i) {
  order { number status subtotal { amount } total { amount currency formatted } paidAt shippedAt deliveredAt
          lines { sku name quantity unitPrice { amount } } }
  errors { code field } } }"""


async def _customer(api: Api, t: TenantFixture) -> str:
    return (await api.data(CREATE_CUSTOMER, token=t.token))["createCustomer"]["customer"]["id"]


async def test_an_order_with_lines_computes_exact_totals(api: Api, tenant: TenantFixture) -> None:
    customer = await _customer(api, tenant)
    data = await api.data(CREATE, {"i": {
        "customerId": customer, "number": "M-1001", "currency": "eur", "status": "shipped",
        "lines": [{"sku": "JKT-1", "name": "Jacket", "quantity": 3, "unitPrice": "19.99"},
                  {"sku": "CAP-2", "name": "Cap", "quantity": 1, "unitPrice": "0.10"}],
        "shipping": "4.90", "tax": "0.30", "discount": "5.00"}}, token=tenant.token, lang="de-DE")
    order = data["createOrder"]["order"]
    assert data["createOrder"]["errors"] == []
    assert order["subtotal"]["amount"] == "60.07"
    assert order["total"] == {"amount": "60.27", "currency": "EUR", "formatted": "60,27\xa0€"}
    assert order["paidAt"] and order["shippedAt"] and order["deliveredAt"] is None
    assert [(line["sku"], line["quantity"], line["unitPrice"]["amount"]) for line in order["lines"]] == \
        [("JKT-1", 3, "19.99"), ("CAP-2", 1, "0.10")]
    assert await Product.filter(tenant_id=tenant.id, sku="JKT-1").count() == 1
    yen = await api.data(CREATE, {"i": {"customerId": customer, "number": "J-1", "currency": "JPY",
                                        "lines": [{"sku": "JKT-1", "unitPrice": "15900", "quantity": 2}]}},
                         token=tenant.token)
    assert yen["createOrder"]["order"]["total"]["amount"] == "31800"
    assert await Product.filter(tenant_id=tenant.id, sku="JKT-1").count() == 1  # matched by SKU


async def test_bad_orders_report_every_field_and_write_nothing(api: Api, tenant: TenantFixture,
                                                               other_tenant: TenantFixture) -> None:
    customer = await _customer(api, tenant)
    before = (await Order.filter(tenant_id=tenant.id).count(), await OrderLine.filter(tenant_id=tenant.id).count())
    data = await api.data(CREATE, {"i": {
        "customerId": customer, "number": " ", "currency": "EUR", "status": "lost",
        "lines": [{"sku": "", "quantity": 0, "unitPrice": "1.999"}, {"sku": "OK", "unitPrice": "-1"}],
        "discount": "1000"}}, token=tenant.token)
    assert {(e["code"], tuple(e["field"])) for e in data["createOrder"]["errors"]} == {
        ("INVALID_NUMBER", ("number",)), ("INVALID_CHOICE", ("status",)), ("INVALID_SKU", ("lines", "0", "sku")),
        ("INVALID_QUANTITY", ("lines", "0", "quantity")), ("TOO_MANY_DECIMALS", ("lines", "0", "unitPrice")),
        ("NEGATIVE_AMOUNT", ("lines", "1", "unitPrice")), ("NEGATIVE_TOTAL", ("discount",))}
    assert data["createOrder"]["order"] is None
    negative = await api.data(CREATE, {"i": {"customerId": customer, "number": "N-1", "currency": "EUR",
                                             "lines": [{"sku": "OK", "unitPrice": "-5"}], "shipping": "-1"}},
                              token=tenant.token)
    assert {(e["code"], tuple(e["field"])) for e in negative["createOrder"]["errors"]} == {
        ("NEGATIVE_AMOUNT", ("lines", "0", "unitPrice")), ("NEGATIVE_AMOUNT", ("shipping",))}
    theirs = await SalesChannel.create(tenant_id=other_tenant.id, platform="ebay", name="eBay DE")
    foreign = await api.data(CREATE, {"i": {
        "customerId": customer, "number": "X", "currency": "EUR", "channelId": to_global_id(SalesChannelType, theirs.id),
        "lines": [{"sku": "A", "unitPrice": "1"}]}}, token=tenant.token)
    assert foreign["createOrder"]["errors"] == [{"code": "NOT_FOUND", "field": ["channelId"]}]
    other_customer = (await api.data(CREATE_CUSTOMER, token=other_tenant.token))["createCustomer"]["customer"]["id"]
    wrong_tenant = await api.data(CREATE, {"i": {"customerId": other_customer, "number": "Y", "currency": "EUR",
                                                 "lines": [{"sku": "A", "unitPrice": "1"}]}}, token=tenant.token)
    assert wrong_tenant["createOrder"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await Order.filter(tenant_id=tenant.id).count(), await OrderLine.filter(tenant_id=tenant.id).count()) \
        == before


async def test_an_external_id_is_unique_per_channel(api: Api, tenant: TenantFixture) -> None:
    customer = await _customer(api, tenant)
    channel = await SalesChannel.create(tenant_id=tenant.id, platform="amazon", name="Amazon UK")
    order = {"customerId": customer, "number": "A1", "currency": "GBP", "externalId": "206-1",
             "channelId": to_global_id(SalesChannelType, channel.id), "lines": [{"sku": "A", "unitPrice": "2.50"}]}
    assert (await api.data(CREATE, {"i": order}, token=tenant.token))["createOrder"]["errors"] == []
    again = await api.data(CREATE, {"i": order}, token=tenant.token)
    assert again["createOrder"]["errors"] == [{"code": "ORDER_EXISTS", "field": ["externalId"]}]
    elsewhere = await api.data(CREATE, {"i": {**order, "channelId": None}}, token=tenant.token)
    assert elsewhere["createOrder"]["errors"] == []


UPDATE = """mutation($i: UpdateOrderInput!) { updateOrder(input: $i) {
  order { id status carrier trackingNumber paidAt shippedAt deliveredAt } errors { code field } } }"""


async def _order(api: Api, t: TenantFixture, placed_at: str = "2026-01-10T09:00:00+00:00") -> str:
    data = await api.data("""mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }""", {"i": {
        "customerId": await _customer(api, t), "number": "U-1", "currency": "EUR", "placedAt": placed_at,
        "lines": [{"sku": "A", "unitPrice": "10"}]}}, token=t.token)
    return str(data["createOrder"]["order"]["id"])


async def test_update_order_moves_through_statuses_with_times_and_an_audit_trail(
        api: Api, tenant: TenantFixture) -> None:
    order_id = await _order(api, tenant)
    pk = int(relay.GlobalID.from_id(order_id).node_id)

    async def update(**fields: Any) -> dict[str, Any]:
        return (await api.data(UPDATE, {"i": {"orderId": order_id, **fields}}, token=tenant.token))["updateOrder"]

    paid = await update(status="paid", paidAt="2026-01-10T10:00:00Z")
    assert paid["errors"] == [] and paid["order"]["status"] == "paid"
    assert paid["order"]["paidAt"].startswith("2026-01-10T10:00:00")
    shipped = await update(status="shipped", carrier=" DHL ", trackingNumber="00340434",
                           shippedAt="2026-01-11T08:00:00+01:00")
    assert shipped["errors"] == []
    got = shipped["order"]
    assert (got["status"], got["carrier"], got["trackingNumber"]) == ("shipped", "DHL", "00340434")
    assert got["shippedAt"].startswith("2026-01-11T07:00:00") and got["deliveredAt"] is None
    before = datetime.now(UTC)
    delivered = await update(status="delivered")
    assert datetime.fromisoformat(delivered["order"]["deliveredAt"]) >= before - timedelta(seconds=1)  # now
    refunded = await update(status="refunded")
    assert refunded["errors"] == [] and refunded["order"]["status"] == "refunded"
    final = await update(status="paid")
    assert final["errors"] == [{"code": "INVALID_TRANSITION", "field": ["status"]}]
    entries = await AuditEntry.filter(tenant_id=tenant.id, action="order.update", object_id=str(pk)).order_by("id")
    assert [(e.before["status"], e.after["status"]) for e in entries] == [
        ("pending", "paid"), ("paid", "shipped"), ("shipped", "delivered"), ("delivered", "refunded")]
    assert entries[1].after["carrier"] == "DHL" and entries[1].before["shipped_at"] is None
    topics = await OutboxEvent.filter(tenant_id=tenant.id, topic="crm.order.status_changed").values_list(
        "payload", flat=True)
    assert [(p["from"], p["to"]) for p in topics if p["order_id"] == pk][-1] == ("delivered", "refunded")
    timeline = await api.data("query($id: ID!) { node(id: $id) { ... on Order { status } } }", {"id": order_id},
                              token=tenant.token)
    assert timeline["node"] == {"status": "refunded"}


async def test_update_order_refuses_bad_values_and_other_tenants_orders(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    order_id = await _order(api, tenant)
    bad = await api.data(UPDATE, {"i": {"orderId": order_id, "status": "shipped", "carrier": "x" * 65,
                                        "paidAt": "2026-01-01T00:00:00Z", "deliveredAt": "2026-01-11T00:00:00Z"}},
                         token=tenant.token)
    assert {(e["code"], e["field"][0]) for e in bad["updateOrder"]["errors"]} == {
        ("INVALID_TRANSITION", "status"), ("TOO_LONG", "carrier"), ("STEP_NOT_REACHED", "paidAt"),
        ("STEP_NOT_REACHED", "deliveredAt")}
    assert bad["updateOrder"]["order"] is None
    wrong = await api.data(UPDATE, {"i": {"orderId": order_id, "status": "lost"}}, token=tenant.token)
    assert wrong["updateOrder"]["errors"] == [{"code": "INVALID_CHOICE", "field": ["status"]}]
    early = await api.data(UPDATE, {"i": {"orderId": order_id, "status": "paid", "paidAt": "2026-01-09T00:00:00Z"}},
                           token=tenant.token)
    assert early["updateOrder"]["errors"] == [{"code": "BEFORE_PLACED", "field": ["paidAt"]}]
    future = await api.data(UPDATE, {"i": {"orderId": order_id, "status": "paid",
                                           "paidAt": (datetime.now(UTC) + timedelta(days=1)).isoformat()}},
                            token=tenant.token)
    assert future["updateOrder"]["errors"] == [{"code": "IN_FUTURE", "field": ["paidAt"]}]
    await api.data(UPDATE, {"i": {"orderId": order_id, "status": "paid", "paidAt": "2026-01-11T00:00:00Z"}},
                   token=tenant.token)
    order = await api.data(UPDATE, {"i": {"orderId": order_id, "status": "shipped",
                                          "shippedAt": "2026-01-10T12:00:00Z"}}, token=tenant.token)
    assert order["updateOrder"]["errors"] == [{"code": "OUT_OF_ORDER", "field": ["shippedAt"]}]
    stored = await Order.get(id=int(relay.GlobalID.from_id(order_id).node_id))
    assert (stored.status, stored.shipped_at, stored.carrier) == ("paid", None, "")
    theirs = await api.data(UPDATE, {"i": {"orderId": order_id, "status": "cancelled"}}, token=other_tenant.token)
    assert theirs["updateOrder"]["errors"] == [{"code": "NOT_FOUND", "field": ["orderId"]}]
    not_an_order = await api.data(UPDATE, {"i": {"orderId": to_global_id(SalesChannelType, 1), "status": "paid"}},
                                  token=tenant.token)
    assert not_an_order["updateOrder"]["errors"][0]["code"] == "INVALID_ID"
    cancelled = await api.data(UPDATE, {"i": {"orderId": order_id, "status": "cancelled"}}, token=tenant.token)
    assert cancelled["updateOrder"]["order"]["status"] == "cancelled"


async def test_a_wrong_id_names_its_type_in_plain_words(api: Api, tenant: TenantFixture) -> None:
    customer = await _customer(api, tenant)
    data = await api.data("""mutation($i: UpdateOrderInput!) { updateOrder(input: $i) { errors { code field message } } }""",
                          {"i": {"orderId": customer, "status": "paid"}}, token=tenant.token)
    assert data["updateOrder"]["errors"] == [
        {"code": "INVALID_ID", "field": ["orderId"], "message": "This is not an ID of type Order."}]


async def test_an_order_names_its_customer_in_one_query_per_page(api: Api, tenant: TenantFixture) -> None:
    """Order.customer: what a frontend's order list shows first; batched, not one query per order."""
    from tests.querycount import count_queries

    customer = await _customer(api, tenant)
    for n in range(3):
        await api.data(CREATE, {"i": {"customerId": customer, "number": f"C-{n}", "currency": "EUR",
                                      "lines": [{"sku": "S", "unitPrice": "1"}]}}, token=tenant.token)
    query = """query($id: ID!) { customer(id: $id) { orders(first: 10) { edges { node { number
      customer { id displayName } } } } } }"""
    with count_queries() as counted:
        data = await api.data(query, {"id": customer}, token=tenant.token)
    nodes = [e["node"] for e in data["customer"]["orders"]["edges"]]
    assert len(nodes) == 3 and all(n["customer"] == {"id": customer, "displayName": "Ola"} for n in nodes)
    with count_queries() as fewer:
        await api.data("""query($id: ID!) { customer(id: $id) { orders(first: 1) { edges { node { number
          customer { id } } } } } }""", {"id": customer}, token=tenant.token)
    assert len(counted) == len(fewer)
