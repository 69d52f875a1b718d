"""Orders entered by hand over HTTP: exact money, computed totals, clear errors, nothing half-written."""

from __future__ import annotations

from core.graphql.node import to_global_id
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
