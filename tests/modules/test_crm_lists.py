"""crm lists that grow with an account's data are keyset connections (first/after); the bounded ones
(segments, custom fields) stay plain lists and say their bound."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, TenantFixture

TAGS = """query($first: Int, $after: String) { tags(first: $first, after: $after) {
  edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"""
CHANNELS = """query($first: Int, $after: String) { salesChannels(first: $first, after: $after) {
  nodes { name platform } pageInfo { hasNextPage endCursor } } }"""
NOTES = """query($id: ID!, $first: Int, $after: String) { customer(id: $id) { notes(first: $first, after: $after) {
  nodes { body } pageInfo { hasNextPage endCursor } } } }"""


async def _pages(api: Api, t: TenantFixture, query: str, root: Any, first: int, **variables: Any) -> list[Any]:
    """Every page of a connection, `first` at a time."""
    pages, after = [], None
    while True:
        data = await api.data(query, {"first": first, "after": after, **variables}, token=t.token)
        connection = root(data)
        pages.append([e.get("node", e) for e in connection.get("edges") or connection["nodes"]])
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        after = connection["pageInfo"]["endCursor"]


async def test_tags_channels_and_notes_page_with_first_and_after(api: Api, tenant: TenantFixture,
                                                                 other_tenant: TenantFixture) -> None:
    for name in ("gamma", "alpha", "delta", "beta", "epsilon"):
        done = await api.data('mutation($n: String!) { createTag(input: {name: $n}) { errors { code } } }',
                              {"n": name}, token=tenant.token)
        assert done["createTag"]["errors"] == []
    await api.data('mutation { createTag(input: {name: "theirs"}) { errors { code } } }', token=other_tenant.token)
    pages = await _pages(api, tenant, TAGS, lambda d: d["tags"], 2)
    assert [[t["name"] for t in p] for p in pages] == [["alpha", "beta"], ["delta", "epsilon"], ["gamma"]]

    for name, platform in (("Shopify EU", "SHOPIFY"), ("Amazon JP", "AMAZON"), ("eBay DE", "EBAY")):
        made = await api.data('mutation($i: CreateSalesChannelInput!) { createSalesChannel(input: $i) { '
                              'errors { code } } }', {"i": {"name": name, "platform": platform}}, token=tenant.token)
        assert made["createSalesChannel"]["errors"] == []
    pages = await _pages(api, tenant, CHANNELS, lambda d: d["salesChannels"], 2)
    assert [[c["name"] for c in p] for p in pages] == [["Amazon JP", "Shopify EU"], ["eBay DE"]]

    created = await api.data('mutation { createCustomer(input: {firstName: "Noa"}) { customer { id } } }',
                             token=tenant.token)
    customer = created["createCustomer"]["customer"]["id"]
    for body in ("first", "second", "third"):
        added = await api.data('mutation($i: AddCustomerNoteInput!) { addCustomerNote(input: $i) { errors { code } } }',
                               {"i": {"customerId": customer, "body": body}}, token=tenant.token)
        assert added["addCustomerNote"]["errors"] == []
    pages = await _pages(api, tenant, NOTES, lambda d: d["customer"]["notes"], 2, id=customer)
    assert sum(([n["body"] for n in p] for p in pages), []) == ["third", "second", "first"]  # newest first
    assert [len(p) for p in pages] == [2, 1]


async def test_a_page_larger_than_the_maximum_is_refused(api: Api, rt: Any, tenant: TenantFixture) -> None:
    body = await api.post("query($n: Int) { tags(first: $n) { nodes { name } } }",
                          {"n": rt.settings.max_page_size + 1}, token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


async def test_bounded_lists_say_their_bound(api: Api, tenant: TenantFixture) -> None:
    from modules.crm.services.custom_fields import MAX_FIELDS
    from modules.crm.services.segments import MAX_SEGMENTS

    fields = await api.data('{ __type(name: "Query") { fields { name description type { ofType { kind name } } } } }',
                            token=tenant.token)
    by_name = {f["name"]: f for f in fields["__type"]["fields"]}
    assert f"at most {MAX_SEGMENTS}" in by_name["segments"]["description"]
    assert f"at most {MAX_FIELDS}" in by_name["customFields"]["description"]
    assert by_name["segments"]["type"]["ofType"]["kind"] == "LIST"
    for name, connection in (("tags", "TagConnection"), ("salesChannels", "SalesChannelConnection")):
        assert by_name[name]["type"]["ofType"] == {"kind": "OBJECT", "name": connection}
