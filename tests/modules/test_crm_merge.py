"""crm duplicates, merge and unmerge over HTTP: groups found in SQL per tenant, a merge that moves
everything and dedupes, an undo that restores exactly, and bad input refused with nothing written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry import relay

from core.graphql.node import to_global_id
from core.models import AuditEntry
from modules.crm.graphql.types import CustomerType, TagType
from modules.crm.models import (
    Address,
    Customer,
    CustomerContact,
    CustomerIdentity,
    CustomerMerge,
    CustomerTag,
    Note,
    Order,
    OrderLine,
    SalesChannel,
)
from tests.conftest import Api, TenantFixture
from tests.querycount import count_queries

CREATE = """mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } errors { code field } } }"""
DUPLICATES = """query($first: Int, $after: String) { duplicateCustomers(first: $first, after: $after) {
  edges { cursor node { kind customerCount customers { id displayName } } }
  pageInfo { hasNextPage endCursor } } }"""
MERGE = """mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) {
  customer { id displayName emails phones tags { name } stats { orderCount } }
  merge { id target { id } sources { id mergedInto { id } } undoneAt }
  errors { code field message } } }"""
UNMERGE = """mutation($i: UnmergeCustomersInput!) { unmergeCustomers(input: $i) {
  merge { id target { id } sources { id mergedInto { id } } undoneAt } errors { code field message } } }"""
VIEW = """query($id: ID!) { customer(id: $id) {
  id displayName emails phones mergedInto { id displayName }
  identities { channel { name } externalId }
  addresses { kind line1 city country }
  tags { name } notes { nodes { body } }
  stats { orderCount totalSpent { amount currency } firstOrderAt lastOrderAt }
  orders(first: 50) { edges { node { number total { amount } lines { sku quantity } } } } } }"""
NAMES = """query($f: CustomerFilterInput) { customers(first: 50, filter: $f) { edges { node { displayName } } } }"""


async def _create(api: Api, t: TenantFixture, **fields: Any) -> str:
    data = await api.data(CREATE, {"i": fields}, token=t.token)
    assert data["createCustomer"]["errors"] == [], data
    return str(data["createCustomer"]["customer"]["id"])


def _pk(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def _view(api: Api, t: TenantFixture, gid: str) -> dict[str, Any]:
    return dict((await api.data(VIEW, {"id": gid}, token=t.token))["customer"])


async def _names(api: Api, t: TenantFixture, search: str | None = None) -> list[str]:
    data = await api.data(NAMES, {"f": {"search": search} if search else None}, token=t.token)
    return sorted(e["node"]["displayName"] for e in data["customers"]["edges"])


async def _merge(api: Api, t: TenantFixture, target: str, sources: list[str]) -> dict[str, Any]:
    data = await api.data(MERGE, {"i": {"targetId": target, "sourceIds": sources}}, token=t.token)
    return dict(data["mergeCustomers"])


async def _state(tenant_id: int) -> dict[str, Any]:
    """Every row a merge could touch, with its owner: equal before and after a refused merge."""
    state: dict[str, Any] = {}
    for model in (CustomerIdentity, Order, Address, Note, CustomerTag):
        state[model.__name__] = sorted(await model.filter(tenant_id=tenant_id).values_list("id", "customer_id"))
    state["contacts"] = sorted(await CustomerContact.filter(tenant_id=tenant_id)
                               .values_list("id", "customer_id", "is_primary"))
    state["customers"] = sorted(await Customer.filter(tenant_id=tenant_id).values_list("id", "merged_into_id"))
    state["merges"] = await CustomerMerge.filter(tenant_id=tenant_id).count()
    state["audit"] = await AuditEntry.filter(tenant_id=tenant_id).count()
    return state


async def test_duplicates_by_email_and_by_phone_within_one_tenant(api: Api, tenant: TenantFixture,
                                                                  other_tenant: TenantFixture) -> None:
    ana = await _create(api, tenant, firstName="Ana", emails=["ana@example.com"], phones=["+4915112345678"])
    ana2 = await _create(api, tenant, firstName="Ana Amazon", emails=[" ANA@Example.com "])
    ana3 = await _create(api, tenant, firstName="Ana Phone", phones=["0151 12345678"], country="DE")
    await _create(api, tenant, firstName="Bob", emails=["bob@example.com"], phones=["+4915199999999"])
    await _create(api, other_tenant, firstName="Ana Elsewhere", emails=["ana@example.com"])

    body = await api.post(DUPLICATES, {"first": 10}, token=tenant.token)
    groups = body["data"]["duplicateCustomers"]["edges"]
    found = {(g["node"]["kind"], g["node"]["customerCount"], tuple(c["id"] for c in g["node"]["customers"]))
             for g in groups}
    assert found == {("EMAIL", 2, (ana, ana2)), ("PHONE", 2, (ana, ana3))}
    # The shared value (or its keyed hash) is never part of a group.
    text = json.dumps(body)
    hashes = await CustomerContact.filter(tenant_id=tenant.id).values_list("value_hash", flat=True)
    assert not any(secret in text for secret in ["ana@example.com", "12345678", *hashes])

    first = await api.data(DUPLICATES, {"first": 1}, token=tenant.token)
    assert first["duplicateCustomers"]["pageInfo"]["hasNextPage"] is True
    second = await api.data(DUPLICATES, {"first": 1, "after": first["duplicateCustomers"]["pageInfo"]["endCursor"]},
                            token=tenant.token)
    assert second["duplicateCustomers"]["pageInfo"]["hasNextPage"] is False
    paged = [e["node"]["kind"] for r in (first, second) for e in r["duplicateCustomers"]["edges"]]
    assert sorted(paged) == ["EMAIL", "PHONE"]

    theirs = await api.data(DUPLICATES, {"first": 10}, token=other_tenant.token)
    assert theirs["duplicateCustomers"]["edges"] == []
    bad = await api.post(DUPLICATES, {"after": "not-a-cursor"}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def _rich_customers(api: Api, t: TenantFixture) -> tuple[str, str, str]:
    """A target and two sources with identities, orders, addresses, notes, tags and contacts,
    some shared (the same e-mail, the same tag) so the merge has to dedupe."""
    target = await _create(api, t, firstName="Tom", lastName="Target", emails=["tom@example.com", "shared@example.com"],
                           phones=["+14155550100"], country="US")
    s1 = await _create(api, t, firstName="Tom", lastName="Amazon", emails=["tom.amz@example.com", "shared@example.com"],
                       phones=["+14155550101"], country="US")
    s2 = await _create(api, t, firstName="T.", lastName="Shopify", emails=["shared@example.com"], country="US")
    channels = [await SalesChannel.create(tenant_id=t.id, platform=p, name=n)
                for p, n in (("amazon", "Amazon US"), ("shopify", "Shopify US"))]
    now = datetime.now(UTC)
    owners = {"T": _pk(target), "S1": _pk(s1), "S2": _pk(s2)}
    for who, channel, ext in (("T", 0, "T-1"), ("S1", 0, "A-1"), ("S2", 1, "S-1")):
        await CustomerIdentity.create(tenant_id=t.id, customer_id=owners[who], channel_id=channels[channel].id,
                                      external_id=ext)
    for who, number, total, days in (("T", "T100", 5000, 9), ("S1", "A200", 7000, 30), ("S1", "A201", 1000, 20),
                                     ("S2", "S300", 2500, 3)):
        order = await Order.create(tenant_id=t.id, customer_id=owners[who], number=number, currency="USD",
                                   total=total, status="delivered", placed_at=now - timedelta(days=days))
        await OrderLine.create(tenant_id=t.id, order_id=order.id, sku=f"SKU-{number}", quantity=1, unit_price=total,
                               currency="USD")
    await Address.create(tenant_id=t.id, customer_id=owners["S1"], line1="1 Market St", city="San Francisco",
                         country="US")
    for who, body in (("T", "Target's note"), ("S1", "Amazon buyer, prefers e-mail")):
        await Note.create(tenant_id=t.id, customer_id=owners[who], body=body)
    tags = {}
    for name in ("VIP", "wholesale"):
        data = await api.data("mutation($n: String!) { createTag(input: {name: $n}) { tag { id } } }", {"n": name},
                              token=t.token)
        tags[name] = data["createTag"]["tag"]["id"]
    for name, who in (("VIP", [target, s1]), ("wholesale", [s1, s2])):
        await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                       {"i": {"tagIds": [tags[name]], "customerIds": who}}, token=t.token)
    return target, s1, s2


async def test_merge_moves_everything_dedupes_and_unmerge_restores_exactly(api: Api, tenant: TenantFixture) -> None:
    target, s1, s2 = await _rich_customers(api, tenant)
    before = {gid: await _view(api, tenant, gid) for gid in (target, s1, s2)}
    assert len((await api.data(DUPLICATES, {}, token=tenant.token))["duplicateCustomers"]["edges"]) == 1

    result = await _merge(api, tenant, target, [s1, s2])
    assert result["errors"] == []
    merged = result["customer"]
    assert merged["emails"] == ["tom@example.com", "shared@example.com", "tom.amz@example.com"]
    assert merged["phones"] == ["+14155550100", "+14155550101"]  # the target's primary stays first
    assert [t["name"] for t in merged["tags"]] == ["VIP", "wholesale"]
    assert merged["stats"]["orderCount"] == 4
    merge = result["merge"]
    assert merge["target"]["id"] == target and merge["undoneAt"] is None
    assert [s["mergedInto"]["id"] for s in merge["sources"]] == [target, target]

    view = await _view(api, tenant, target)
    assert sorted(i["externalId"] for i in view["identities"]) == ["A-1", "S-1", "T-1"]
    assert [a["line1"] for a in view["addresses"]] == ["1 Market St"]
    assert sorted(n["body"] for n in view["notes"]["nodes"]) == ["Amazon buyer, prefers e-mail", "Target's note"]
    assert sorted(e["node"]["number"] for e in view["orders"]["edges"]) == ["A200", "A201", "S300", "T100"]
    assert {m["currency"]: m["amount"] for m in view["stats"]["totalSpent"]} == {"USD": "155.00"}
    primaries = await CustomerContact.filter(customer_id=_pk(target), is_primary=True).values_list("kind", flat=True)
    assert sorted(primaries) == ["email", "phone"]
    assert await CustomerTag.filter(customer_id=_pk(target)).count() == 2

    # The sources leave lists and searches, but their ids still resolve, pointing at the target.
    assert await _names(api, tenant) == ["Tom Target"]
    assert await _names(api, tenant, "tom.amz@example.com") == ["Tom Target"]
    assert await _names(api, tenant, "shared@example.com") == ["Tom Target"]
    gone = await _view(api, tenant, s1)
    assert gone["mergedInto"] == {"id": target, "displayName": "Tom Target"}
    assert gone["orders"]["edges"] == [] and gone["identities"] == []
    node = await api.data("query($id: ID!) { node(id: $id) { ... on Customer { mergedInto { id } } } }",
                          {"id": s2}, token=tenant.token)
    assert node["node"] == {"mergedInto": {"id": target}}
    assert (await api.data(DUPLICATES, {}, token=tenant.token))["duplicateCustomers"]["edges"] == []

    # Recorded: the merge with the ids it moved, and an audit entry without any contact data.
    record = await CustomerMerge.get(tenant_id=tenant.id)
    assert record.source_ids == [_pk(s1), _pk(s2)]
    assert len(record.moved["crm_order"][str(_pk(s1))]) == 2
    entry = await AuditEntry.get(tenant_id=tenant.id, action="customer.merge")
    assert entry.actor_id == tenant.admin_id and entry.object_id == str(record.id)
    assert entry.after["counts"] == {"crm_identity": 2, "crm_order": 3, "crm_address": 1, "crm_note": 1,
                                     "crm_customer_tag": 1, "crm_contact": 2}
    audit_text = json.dumps([entry.before, entry.after])
    values = await CustomerContact.filter(tenant_id=tenant.id).values_list("value", "value_hash")
    contact_data = ["example.com", "+1415", "Market", *[h for _, h in values]]
    assert not any(secret in audit_text for secret in contact_data)

    # An order the target gets after the merge stays with it on undo.
    await Order.create(tenant_id=tenant.id, customer_id=_pk(target), number="T101", currency="USD", total=100,
                       placed_at=datetime.now(UTC))
    undone = await api.data(UNMERGE, {"i": {"mergeId": merge["id"]}}, token=tenant.token)
    assert undone["unmergeCustomers"]["errors"] == []
    assert undone["unmergeCustomers"]["merge"]["undoneAt"] is not None
    assert [s["mergedInto"] for s in undone["unmergeCustomers"]["merge"]["sources"]] == [None, None]
    after = {gid: await _view(api, tenant, gid) for gid in (target, s1, s2)}
    assert after[s1] == before[s1] and after[s2] == before[s2]
    orders = after[target].pop("orders")
    stats = after[target].pop("stats")
    expected = dict(before[target])
    expected.pop("orders"), expected.pop("stats")
    assert after[target] == expected
    assert [e["node"]["number"] for e in orders["edges"]] == ["T101", "T100"] and stats["orderCount"] == 2
    assert await _names(api, tenant) == ["T. Shopify", "Tom Amazon", "Tom Target"]
    assert await AuditEntry.filter(tenant_id=tenant.id, action="customer.unmerge").count() == 1

    again = await api.data(UNMERGE, {"i": {"mergeId": merge["id"]}}, token=tenant.token)
    assert again["unmergeCustomers"]["errors"][0]["code"] == "ALREADY_UNDONE"
    assert again["unmergeCustomers"]["errors"][0]["field"] == ["mergeId"]


async def test_bad_merges_are_refused_and_write_nothing(api: Api, tenant: TenantFixture,
                                                      other_tenant: TenantFixture) -> None:
    target, a, b = await _rich_customers(api, tenant)
    theirs = await _create(api, other_tenant, firstName="Theirs", emails=["shared@example.com"])
    unknown = to_global_id(CustomerType, 10**12)
    tag = to_global_id(TagType, 1)
    cases: list[tuple[str, list[str], list[tuple[str, list[str]]]]] = [
        (target, [a, target], [("TARGET_IN_SOURCES", ["sourceIds", "1"])]),
        (target, [a, a], [("DUPLICATE", ["sourceIds", "1"])]),
        (target, [a, theirs], [("NOT_FOUND", ["sourceIds", "1"])]),
        (target, [unknown, b], [("NOT_FOUND", ["sourceIds", "0"])]),
        (theirs, [a], [("NOT_FOUND", ["targetId"])]),
        (target, [tag, "garbage"], [("INVALID_ID", ["sourceIds", "0"]), ("INVALID_ID", ["sourceIds", "1"])]),
        (tag, [a], [("INVALID_ID", ["targetId"])]),
        (target, [], [("REQUIRED", ["sourceIds"])]),
        (target, [to_global_id(CustomerType, 10**12 + i) for i in range(51)], [("TOO_MANY", ["sourceIds"])]),
    ]
    state = await _state(tenant.id)
    theirs_state = await _state(other_tenant.id)
    for merge_target, sources, expected in cases:
        result = await _merge(api, tenant, merge_target, sources)
        assert [(e["code"], e["field"]) for e in result["errors"]] == expected, (sources, result)
        assert all(e["message"] for e in result["errors"])
        assert result["customer"] is None and result["merge"] is None
        assert await _state(tenant.id) == state
    assert await _state(other_tenant.id) == theirs_state

    # Already merged customers can be neither a source nor a target.
    first = await _merge(api, tenant, target, [a])
    assert first["errors"] == []
    state = await _state(tenant.id)
    for merge_target, sources, path in ((b, [a], ["sourceIds", "0"]), (a, [b], ["targetId"])):
        result = await _merge(api, tenant, merge_target, sources)
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("ALREADY_MERGED", path)]
        assert await _state(tenant.id) == state

    # A merge is found only in its own tenant; a chain must be undone from its end.
    foreign = await api.data(UNMERGE, {"i": {"mergeId": first["merge"]["id"]}}, token=other_tenant.token)
    assert foreign["unmergeCustomers"]["errors"] == [{"code": "NOT_FOUND", "field": ["mergeId"],
                                                      "message": foreign["unmergeCustomers"]["errors"][0]["message"]}]
    wrong = await api.data(UNMERGE, {"i": {"mergeId": target}}, token=tenant.token)
    assert [e["code"] for e in wrong["unmergeCustomers"]["errors"]] == ["INVALID_ID"]
    chained = await _merge(api, tenant, b, [target])
    assert chained["errors"] == []
    state = await _state(tenant.id)
    refused = await api.data(UNMERGE, {"i": {"mergeId": first["merge"]["id"]}}, token=tenant.token)
    assert [e["code"] for e in refused["unmergeCustomers"]["errors"]] == ["TARGET_MERGED"]
    assert await _state(tenant.id) == state
    for merge in (chained, first):
        done = await api.data(UNMERGE, {"i": {"mergeId": merge["merge"]["id"]}}, token=tenant.token)
        assert done["unmergeCustomers"]["errors"] == []
    assert await _names(api, tenant) == ["T. Shopify", "Tom Amazon", "Tom Target"]


async def test_a_duplicates_page_costs_the_same_queries_whatever_its_size(api: Api, tenant: TenantFixture) -> None:
    for i in range(4):
        for who in ("a", "b", "c"):
            await _create(api, tenant, firstName=f"{who}{i}", emails=[f"same{i}@example.com"])
    query = """query($first: Int) { duplicateCustomers(first: $first) { edges { node {
      kind customerCount customers { id displayName emails tags { name } stats { orderCount } } } } } }"""
    await api.data(query, {"first": 1}, token=tenant.token)
    with count_queries() as small:
        page = await api.data(query, {"first": 1}, token=tenant.token)
    assert [len(e["node"]["customers"]) for e in page["duplicateCustomers"]["edges"]] == [3]
    with count_queries() as large:
        page = await api.data(query, {"first": 4}, token=tenant.token)
    assert [e["node"]["customerCount"] for e in page["duplicateCustomers"]["edges"]] == [3, 3, 3, 3]
    assert len(small) == len(large), large


async def test_a_merged_customer_cannot_be_edited_tagged_or_noted(api: Api, tenant: TenantFixture) -> None:
    target = await _create(api, tenant, firstName="Keep", emails=["same@example.com"])
    source = await _create(api, tenant, firstName="Gone", emails=["same@example.com"])
    await _merge(api, tenant, target, [source])
    upd = await api.data("""mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { errors { code field } } }""",
                         {"i": {"customerId": source, "customer": {"firstName": "Back"}}}, token=tenant.token)
    assert upd["updateCustomer"]["errors"] == [{"code": "CUSTOMER_MERGED", "field": ["customerId"]}]
    note = await api.data("""mutation($i: AddCustomerNoteInput!) { addCustomerNote(input: $i) { errors { code } } }""",
                          {"i": {"customerId": source, "body": "x"}}, token=tenant.token)
    assert note["addCustomerNote"]["errors"][0]["code"] == "CUSTOMER_MERGED"
    tag = (await api.data('mutation { createTag(input: {name: "m"}) { tag { id } } }', token=tenant.token))
    tagged = await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed errors { code field } } }",
                            {"i": {"tagIds": [tag["createTag"]["tag"]["id"]], "customerIds": [source]}}, token=tenant.token)
    assert tagged["tagCustomers"]["errors"] == [{"code": "NOT_FOUND", "field": ["customerIds", "0"]}]
