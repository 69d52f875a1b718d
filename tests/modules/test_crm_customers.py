"""crm over HTTP: customers with encrypted, masked contact data; search and filters; tags; notes;
the 360 view with orders and per-currency stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

from core.access.admin import assign_role_by_name
from core.graphql.node import to_global_id
from core.identity import add_user
from modules.crm.graphql.types import SalesChannelType
from modules.crm.models import CustomerIdentity, Order, OrderLine, SalesChannel
from tests.conftest import PASSWORD, Api, TenantFixture
from tests.querycount import count_queries

CREATE = """mutation($i: CustomerInput!) { createCustomer(input: $i) {
  customer { id displayName emails phones country language currency tier marketingConsent { granted source } }
  errors { code field message } } }"""
UPDATE = """mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) {
  customer { id displayName emails phones country } errors { code field } } }"""
CUSTOMERS = """query($f: CustomerFilterInput, $first: Int, $after: String) {
  customers(first: $first, after: $after, filter: $f) {
    edges { node { id displayName emails tags { name } stats { orderCount } recentOrders(last: 2) { number } } }
    pageInfo { hasNextPage endCursor } } }"""
VIEW = """query($id: ID!) { customer(id: $id) {
  displayName emails phones identities { channel { name platform } externalId }
  tags { name colour } notes(first: 10) { nodes { body } }
  stats { orderCount totalSpent { amount currency formatted } averageOrderValue { amount currency }
          firstOrderAt lastOrderAt }
  orders(first: 10) { edges { node { number status total { amount currency formatted }
                                      lines { sku quantity unitPrice { amount } } } } } } }"""


async def _create(api: Api, t: TenantFixture, **fields: Any) -> dict[str, Any]:
    data = await api.data(CREATE, {"i": fields}, token=t.token)
    assert data["createCustomer"]["errors"] == [], data
    return data["createCustomer"]["customer"]


async def test_contact_data_is_normalised_encrypted_and_masked(api: Api, rt: Any, tenant: TenantFixture) -> None:
    c = await _create(api, tenant, firstName="Jonas", lastName="Weber", emails=[" Jonas.Weber@Example.DE "],
                      phones=["0151 12345678"], country="de", language="de_de", currency="eur",
                      marketingConsent=True, consentSource="checkout")
    assert c["emails"] == ["jonas.weber@example.de"] and c["phones"] == ["+4915112345678"]
    assert (c["country"], c["language"], c["currency"]) == ("DE", "de-DE", "EUR")
    assert c["marketingConsent"] == {"granted": True, "source": "checkout"}
    _, rows = await connections.get("default").execute_query("SELECT value FROM crm_contact")
    raw = [r["value"] for r in rows]
    assert raw and all(v.startswith("v1.") for v in raw)
    assert not any("jonas" in v or "12345678" in v for v in raw)
    # An agent without crm.customer.pii:read sees masked values.
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, agent.id, "agent")
    rt.access.invalidate(tenant.id)
    token = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    view = await api.data("query($id: ID!) { customer(id: $id) { emails phones } }", {"id": c["id"]}, token=token)
    assert view["customer"] == {"emails": ["j***@example.de"], "phones": ["+49*********78"]}
    audit = await api.data('{ auditLog(first: 1, filter: {objectType: "Customer"}) { edges { node { after } } } }',
                           token=tenant.token)
    assert "example.de" not in str(audit) and "12345678" not in str(audit)


async def test_bad_customer_input_reports_every_field_and_writes_nothing(api: Api, tenant: TenantFixture) -> None:
    from modules.crm.models import Customer

    data = await api.data(CREATE, {"i": {
        "emails": ["ok@example.com", "not-an-email"], "phones": ["12"], "country": "XX", "currency": "EURO",
        "language": "klingon-!!", "timezone": "Mars/Base", "birthday": "2999-01-01", "tier": "platinum",
        "marketingConsent": True, "customFields": [1, 2]}}, token=tenant.token)
    fields = {tuple(e["field"]): e["code"] for e in data["createCustomer"]["errors"]}
    assert fields == {
        ("emails", "1"): "INVALID_EMAIL", ("phones", "0"): "INVALID_PHONE", ("country",): "INVALID_COUNTRY",
        ("currency",): "INVALID_CURRENCY", ("language",): "INVALID_LANGUAGE", ("timezone",): "INVALID_TIMEZONE",
        ("birthday",): "INVALID_BIRTHDAY", ("tier",): "INVALID_CHOICE", ("consentSource",): "CONSENT_SOURCE_REQUIRED",
        ("customFields",): "INVALID_CUSTOM_FIELDS"}
    assert data["createCustomer"]["customer"] is None
    assert not await Customer.filter(tenant_id=tenant.id).exists()


async def test_search_by_name_email_phone_and_order_number(api: Api, tenant: TenantFixture,
                                                          other_tenant: TenantFixture) -> None:
    ana = await _create(api, tenant, firstName="Ana", lastName="Souza", emails=["ana@example.br"],
                        phones=["+55 11 91234-5678"], country="BR")
    await _create(api, tenant, firstName="Bob", lastName="Stone", emails=["bob@example.com"])
    await _create(api, other_tenant, firstName="Ana", lastName="Other", emails=["ana@example.br"])
    await Order.create(tenant_id=tenant.id, customer_id=int(_pk(ana["id"])), number="A-7781", currency="BRL",
                       total=5000, placed_at=datetime.now(UTC))
    for term in ["souza", "ANA@example.br", "+5511912345678", "A-7781"]:
        found = await api.data(CUSTOMERS, {"f": {"search": term}}, token=tenant.token)
        assert [e["node"]["displayName"] for e in found["customers"]["edges"]] == ["Ana Souza"], term
    none = await api.data(CUSTOMERS, {"f": {"search": "nobody@nowhere.test"}}, token=tenant.token)
    assert none["customers"]["edges"] == []


async def test_filters_by_country_tag_channel_spend_and_last_order(api: Api, tenant: TenantFixture) -> None:
    de = await _create(api, tenant, firstName="De", country="DE")
    fr = await _create(api, tenant, firstName="Fr", country="FR")
    jp = await _create(api, tenant, firstName="Jp", country="JP")
    now = datetime.now(UTC)
    for customer, currency, total, days in ((de, "EUR", 12_000, 5), (de, "EUR", 3_000, 40), (fr, "EUR", 900, 200),
                                            (jp, "JPY", 50_000, 2)):
        await Order.create(tenant_id=tenant.id, customer_id=int(_pk(customer["id"])), number=f"N{total}",
                           currency=currency, total=total, placed_at=now - timedelta(days=days))
    channel = await SalesChannel.create(tenant_id=tenant.id, platform="amazon", name="Amazon FR")
    await CustomerIdentity.create(tenant_id=tenant.id, customer_id=int(_pk(fr["id"])), channel_id=channel.id,
                                  external_id="A1")
    tag = (await api.data('mutation { createTag(input: {name: "wholesale", colour: "#112233"}) { tag { id } } }',
                          token=tenant.token))["createTag"]["tag"]["id"]
    await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                   {"i": {"tagIds": [tag], "customerIds": [jp["id"], de["id"]]}}, token=tenant.token)

    async def names(f: dict[str, Any]) -> list[str]:
        data = await api.data(CUSTOMERS, {"f": f}, token=tenant.token)
        return sorted(e["node"]["displayName"] for e in data["customers"]["edges"])

    assert await names({"countries": ["de", "JP"]}) == ["De", "Jp"]
    assert await names({"tagIds": [tag]}) == ["De", "Jp"]
    assert await names({"channelIds": [to_global_id(SalesChannelType, channel.id)]}) == ["Fr"]
    assert await names({"spend": {"currency": "EUR", "min": "100.00"}}) == ["De"]
    assert await names({"spend": {"currency": "EUR", "max": "100.00"}}) == ["Fr"]
    assert await names({"lastOrder": {"from": (now - timedelta(days=10)).isoformat()}}) == ["De", "Jp"]
    assert await names({"countries": ["DE"], "tagIds": [tag], "spend": {"currency": "EUR", "min": "150"}}) == ["De"]
    bad = await api.post(CUSTOMERS, {"f": {"spend": {"currency": "EUR", "min": "1.999"}}}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "TOO_MANY_DECIMALS"


async def test_tags_in_bulk_are_all_or_nothing(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    a = await _create(api, tenant, firstName="A")
    theirs = await _create(api, other_tenant, firstName="Theirs")
    tag = (await api.data('mutation { createTag(input: {name: "returns-risk"}) { tag { id } } }',
                          token=tenant.token))["createTag"]["tag"]["id"]
    dup = await api.data('mutation { createTag(input: {name: "returns-risk", colour: "red"}) '
                         '{ errors { code field } } }', token=tenant.token)
    assert {e["code"] for e in dup["createTag"]["errors"]} == {"TAG_NAME_TAKEN", "INVALID_COLOUR"}
    mixed = await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed errors { code field } } }",
                           {"i": {"tagIds": [tag], "customerIds": [a["id"], theirs["id"]]}}, token=tenant.token)
    assert mixed["tagCustomers"] == {"changed": 0, "errors": [{"code": "NOT_FOUND", "field": ["customerIds", "1"]}]}
    view = await api.data(VIEW, {"id": a["id"]}, token=tenant.token)
    assert view["customer"]["tags"] == []
    ok = await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                        {"i": {"tagIds": [tag], "customerIds": [a["id"], a["id"]]}}, token=tenant.token)
    assert ok["tagCustomers"]["changed"] == 1
    again = await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                           {"i": {"tagIds": [tag], "customerIds": [a["id"]]}}, token=tenant.token)
    assert again["tagCustomers"]["changed"] == 0
    gone = await api.data("mutation($i: TagCustomersInput!) { untagCustomers(input: $i) { changed } }",
                          {"i": {"tagIds": [tag], "customerIds": [a["id"]]}}, token=tenant.token)
    assert gone["untagCustomers"]["changed"] == 1


async def test_the_360_view(api: Api, tenant: TenantFixture) -> None:
    c = await _create(api, tenant, firstName="Yuki", lastName="Tanaka", emails=["yuki@example.jp"], country="JP")
    pk = int(_pk(c["id"]))
    now = datetime.now(UTC)
    channel = await SalesChannel.create(tenant_id=tenant.id, platform="amazon", name="Amazon JP")
    await CustomerIdentity.create(tenant_id=tenant.id, customer_id=pk, channel_id=channel.id, external_id="AJP-1")
    for number, currency, total, status, days in (("J1", "JPY", 15900, "delivered", 20), ("J2", "JPY", 4100, "paid", 3),
                                                   ("E1", "EUR", 12990, "delivered", 10),
                                                   ("X9", "EUR", 99999, "cancelled", 1)):
        order = await Order.create(tenant_id=tenant.id, customer_id=pk, number=number, currency=currency,
                                   total=total, status=status, placed_at=now - timedelta(days=days))
        await OrderLine.create(tenant_id=tenant.id, order_id=order.id, sku="SKU-" + number, quantity=2,
                               unit_price=total // 2, currency=currency)
    note = await api.data("mutation($i: AddCustomerNoteInput!) { addCustomerNote(input: $i) { note { body } errors { code } } }",
                          {"i": {"customerId": c["id"], "body": "  Wants invoices in English.  "}}, token=tenant.token)
    assert note["addCustomerNote"] == {"note": {"body": "Wants invoices in English."}, "errors": []}
    view = (await api.data(VIEW, {"id": c["id"]}, token=tenant.token, lang="de-DE"))["customer"]
    assert view["identities"] == [{"channel": {"name": "Amazon JP", "platform": "AMAZON"}, "externalId": "AJP-1"}]
    stats = view["stats"]
    assert stats["orderCount"] == 3
    spent = {m["currency"]: m for m in stats["totalSpent"]}
    assert spent["JPY"]["amount"] == "20000" and spent["EUR"]["amount"] == "129.90"
    assert spent["EUR"]["formatted"] == "129,90\xa0€"
    assert {m["currency"]: m["amount"] for m in stats["averageOrderValue"]} == {"JPY": "10000", "EUR": "129.90"}
    assert [e["node"]["number"] for e in view["orders"]["edges"]] == ["X9", "J2", "E1", "J1"]
    assert view["orders"]["edges"][2]["node"]["lines"] == [{"sku": "SKU-E1", "quantity": 2, "unitPrice": {"amount": "64.95"}}]
    assert view["notes"]["nodes"] == [{"body": "Wants invoices in English."}]


async def test_update_customer_changes_only_what_is_given(api: Api, tenant: TenantFixture) -> None:
    c = await _create(api, tenant, firstName="Li", lastName="Wei", emails=["li@example.cn"], phones=["+8613800138000"],
                      country="CN")
    changed = await api.data(UPDATE, {"i": {"customerId": c["id"], "customer": {"lastName": "Na",
                                                                                   "phones": ["13900139000"]}}},
                             token=tenant.token)
    assert changed["updateCustomer"]["customer"] == {"id": c["id"], "displayName": "Li Na", "emails": ["li@example.cn"],
                                                     "phones": ["+8613900139000"], "country": "CN"}
    bad = await api.data(UPDATE, {"i": {"customerId": c["id"], "customer": {"country": "ZZ", "firstName": "X"}}},
                         token=tenant.token)
    assert bad["updateCustomer"]["errors"] == [{"code": "INVALID_COUNTRY", "field": ["country"]}]
    view = await api.data("query($id: ID!) { customer(id: $id) { displayName country } }", {"id": c["id"]},
                          token=tenant.token)
    assert view["customer"] == {"displayName": "Li Na", "country": "CN"}


async def test_a_customers_page_costs_the_same_queries_whatever_its_size(api: Api, tenant: TenantFixture) -> None:
    for i in range(12):
        c = await _create(api, tenant, firstName=f"P{i:02d}", emails=[f"p{i}@example.com"])
        await Order.create(tenant_id=tenant.id, customer_id=int(_pk(c["id"])), number=f"Q{i}", currency="EUR",
                           total=100, placed_at=datetime.now(UTC))
    await api.data(CUSTOMERS, {"first": 1}, token=tenant.token)
    with count_queries() as small:
        page = await api.data(CUSTOMERS, {"first": 2}, token=tenant.token)
    assert len(page["customers"]["edges"]) == 2
    with count_queries() as large:
        page = await api.data(CUSTOMERS, {"first": 12}, token=tenant.token)
    assert len(page["customers"]["edges"]) == 12
    assert 5 <= len(small) == len(large), large
    # The page shows e-mails, not phones: its contacts statement reads (and decrypts) e-mails only.
    (contacts,) = [q for q in large if "crm_contact" in q]
    assert '"kind"=' in contacts.split("WHERE", 1)[1], contacts


def _pk(global_id: str) -> str:
    from strawberry import relay

    return relay.GlobalID.from_id(global_id).node_id


async def test_recent_orders_are_the_newest_per_customer(api: Api, tenant: TenantFixture,
                                                         other_tenant: TenantFixture) -> None:
    now = datetime.now(UTC)
    a = await _create(api, tenant, firstName="A")
    b = await _create(api, tenant, firstName="B")
    for customer, numbers in ((a, ["a1", "a2", "a3"]), (b, ["b1"])):
        for age, number in enumerate(reversed(numbers)):
            await Order.create(tenant_id=tenant.id, customer_id=int(_pk(customer["id"])), number=number,
                               currency="EUR", total=1, placed_at=now - timedelta(days=age))
    data = await api.data("{ customers(first: 10) { edges { node { displayName recentOrders(last: 2) { number } } } } }",
                          token=tenant.token)
    got = {e["node"]["displayName"]: [o["number"] for o in e["node"]["recentOrders"]] for e in data["customers"]["edges"]}
    assert got == {"A": ["a3", "a2"], "B": ["b1"]}
    too_many = await api.post("{ customers(first: 1) { edges { node { recentOrders(last: 50) { number } } } } }",
                              token=tenant.token)
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


async def test_tag_and_untag_every_customer_a_filter_matches(api: Api, tenant: TenantFixture,
                                                             other_tenant: TenantFixture) -> None:
    for i in range(5):
        await _create(api, tenant, firstName=f"F{i}", country="FR" if i < 3 else "IT")
    await _create(api, other_tenant, firstName="Elsewhere", country="FR")
    tag = (await api.data('mutation { createTag(input: {name: "fr-campaign"}) { tag { id } } }',
                          token=tenant.token))["createTag"]["tag"]["id"]
    q = "mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed errors { code field } } }"
    done = await api.data(q, {"i": {"tagIds": [tag], "filter": {"countries": ["FR"]}}}, token=tenant.token)
    assert done["tagCustomers"] == {"changed": 3, "errors": []}
    tagged = await api.data(CUSTOMERS, {"f": {"tagIds": [tag]}}, token=tenant.token)
    assert sorted(e["node"]["displayName"] for e in tagged["customers"]["edges"]) == ["F0", "F1", "F2"]
    both = await api.data(q, {"i": {"tagIds": [tag], "customerIds": [], "filter": {"countries": ["FR"]}}},
                          token=tenant.token)
    assert both["tagCustomers"]["errors"] == [{"code": "CUSTOMERS_OR_FILTER", "field": ["customerIds"]}]
    untag = ("mutation($i: TagCustomersInput!) { untagCustomers(input: $i) { changed } }")
    gone = await api.data(untag, {"i": {"tagIds": [tag], "filter": {"search": "F1"}}}, token=tenant.token)
    assert gone["untagCustomers"]["changed"] == 1


async def test_error_paths_use_the_api_names(api: Api, tenant: TenantFixture) -> None:
    """The service says first_name; the client sent firstName and gets firstName back. Custom field keys
    (the tenant's own identifiers) keep their spelling."""
    await api.data("""mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { errors { code } } }""",
                   {"i": {"key": "shoe_size", "label": "Shoe size", "type": "NUMBER"}}, token=tenant.token)
    data = await api.data(CREATE, {"i": {"emails": ["x@example.com"], "firstName": "x" * 101, "lastName": "y" * 101,
                                         "customFields": {"shoe_size": "big"}}}, token=tenant.token)
    fields = {tuple(e["field"]) for e in data["createCustomer"]["errors"]}
    assert ("firstName",) in fields and ("lastName",) in fields, fields
    assert any(f[0] == "customFields" and "shoe_size" in f for f in fields), fields
    assert not any("_" in part for f in fields for part in f if part != "shoe_size"), fields


async def test_filters_check_coded_values_as_create_customer_does(api: Api, tenant: TenantFixture) -> None:
    """A filter normalises country, language and currency as createCustomer does, and refuses what
    createCustomer refuses (same codes), instead of silently matching nothing."""
    await _create(api, tenant, firstName="Jonas", country="DE", language="de-DE", tier="gold")
    await _create(api, tenant, firstName="Mei", country="JP", language="ja", tier="vip")

    async def names(f: dict[str, Any]) -> list[str]:
        page = await api.data(CUSTOMERS, {"f": f}, token=tenant.token)
        return sorted(e["node"]["displayName"] for e in page["customers"]["edges"])

    assert await names({"countries": ["de", " jp "]}) == ["Jonas", "Mei"]
    assert await names({"languages": ["de_de"]}) == ["Jonas"]
    assert await names({"tiers": ["vip"], "stages": ["new"]}) == ["Mei"]
    assert await names({"spend": {"currency": "eur", "min": "0"}}) == []
    for f, code, field in (
        ({"countries": ["DE", "XX"]}, "INVALID_COUNTRY", ["filter", "countries", "1"]),
        ({"languages": ["klingon-!!"]}, "INVALID_LANGUAGE", ["filter", "languages", "0"]),
        ({"tiers": ["platinum"]}, "INVALID_CHOICE", ["filter", "tiers", "0"]),
        ({"stages": ["erased"]}, "INVALID_CHOICE", ["filter", "stages", "0"]),
        ({"spend": {"currency": "EURO", "min": "1"}}, "INVALID_CURRENCY", ["filter", "spend", "currency"]),
    ):
        body = await api.post(CUSTOMERS, {"f": f}, token=tenant.token)
        assert body["data"] is None or body["data"]["customers"] is None, body
        error = body["errors"][0]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field), (f, body)
    created = await api.data(CREATE, {"i": {"country": "XX", "tier": "platinum"}}, token=tenant.token)
    assert {e["code"] for e in created["createCustomer"]["errors"]} == {"INVALID_COUNTRY", "INVALID_CHOICE"}
    # The same filter behind tagCustomers (and exportCustomers) is checked alike.
    tag = (await api.data('mutation { createTag(input: {name: "eu"}) { tag { id } } }',
                          token=tenant.token))["createTag"]["tag"]["id"]
    body = await api.post("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                          {"i": {"tagIds": [tag], "filter": {"countries": ["XX"]}}}, token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_COUNTRY"
    tagged = await api.data('mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed errors { code } } }',
                            {"i": {"tagIds": [tag], "filter": {"countries": ["de"]}}}, token=tenant.token)
    assert tagged["tagCustomers"] == {"changed": 1, "errors": []}


async def test_a_note_has_a_global_id_resolvable_in_its_tenant_only(api: Api, tenant: TenantFixture,
                                                                    other_tenant: TenantFixture) -> None:
    from strawberry import relay

    from modules.crm.models import Note

    c = await _create(api, tenant, firstName="Ines")
    added = await api.data('mutation($i: AddCustomerNoteInput!) { addCustomerNote(input: $i) { '
                           'note { id body createdAt } errors { code } } }',
                           {"i": {"customerId": c["id"], "body": "Call after 18:00"}}, token=tenant.token)
    note = added["addCustomerNote"]["note"]
    gid = relay.GlobalID.from_id(note["id"])
    assert gid.type_name == "Note" and await Note.filter(id=int(gid.node_id), tenant_id=tenant.id).exists()
    listed = await api.data("query($id: ID!) { customer(id: $id) { notes { nodes { id body } } } }",
                            {"id": c["id"]}, token=tenant.token)
    assert listed["customer"]["notes"]["nodes"] == [{"id": note["id"], "body": "Call after 18:00"}]
    node = "query($id: ID!) { node(id: $id) { id __typename ... on Note { body } } }"
    assert (await api.data(node, {"id": note["id"]}, token=tenant.token))["node"] == {
        "id": note["id"], "__typename": "Note", "body": "Call after 18:00"}
    assert (await api.data(node, {"id": note["id"]}, token=other_tenant.token))["node"] is None


NESTED = """query($first: Int, $n: Int, $after: String) { customers(first: $first) { edges { node { displayName
  orders(first: $n, after: $after) { edges { cursor node { number } } pageInfo { hasNextPage endCursor } } } } } }"""
ONE = """query($id: ID!, $n: Int, $after: String) { customer(id: $id) {
  orders(first: $n, after: $after) { edges { cursor node { number } } pageInfo { hasNextPage endCursor } } } }"""


async def test_nested_order_connections_are_batched_and_page_like_a_single_one(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    """`customers { orders(first: n) }` runs the same statements for 2 customers as for 12, and each
    customer's connection (edges, cursors, pageInfo, the page after a cursor) is what the customer's
    own connection gives; orders placed at the same instant are ordered by id, as `paginate` does."""
    now = datetime.now(UTC)
    ids = []
    for i in range(12):
        c = await _create(api, tenant, firstName=f"N{i:02d}")
        ids.append(c["id"])
        for k in range(i % 4):
            placed = now - timedelta(days=k // 2)  # pairs share a placed_at: the id decides
            await Order.create(tenant_id=tenant.id, customer_id=int(_pk(c["id"])), number=f"N{i}-{k}",
                               currency="EUR", total=1, placed_at=placed)
    foreign = await _create(api, other_tenant, firstName="Other")
    await Order.create(tenant_id=other_tenant.id, customer_id=int(_pk(foreign["id"])), number="X",
                       currency="EUR", total=1, placed_at=now)
    with count_queries() as small:
        await api.data(NESTED, {"first": 2, "n": 2}, token=tenant.token)
    with count_queries() as large:
        page = await api.data(NESTED, {"first": 12, "n": 2}, token=tenant.token)
    assert len(small) == len(large), large
    by_name = {e["node"]["displayName"]: e["node"]["orders"] for e in page["customers"]["edges"]}
    assert len(by_name) == 12
    for i, gid in enumerate(ids):
        alone = (await api.data(ONE, {"id": gid, "n": 2}, token=tenant.token))["customer"]["orders"]
        assert by_name[f"N{i:02d}"] == alone
        assert len(alone["edges"]) == min(i % 4, 2) and alone["pageInfo"]["hasNextPage"] == (i % 4 > 2)
    # The page after a cursor, for every customer at once: the cursor is one customer's, the condition
    # applies to each (customer 3 has 3 orders: the third is after its second).
    cursor = by_name["N03"]["pageInfo"]["endCursor"]
    after = await api.data(NESTED, {"first": 12, "n": 2, "after": cursor}, token=tenant.token)
    nested = {e["node"]["displayName"]: e["node"]["orders"] for e in after["customers"]["edges"]}
    alone = (await api.data(ONE, {"id": ids[3], "n": 2, "after": cursor}, token=tenant.token))["customer"]["orders"]
    assert nested["N03"] == alone and [e["node"]["number"] for e in alone["edges"]] == ["N3-2"]
    bad = await api.post(NESTED, {"first": 2, "n": 2, "after": "zzz"}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
