"""A page of customers loads what the query asks of them up front (crm.graphql.prefetch): the list
answers what each customer's own view answers, through fragments, aliases and two `recentOrders`
sizes at once, masked alike for a role without crm.customer.pii:read."""

from __future__ import annotations

from typing import Any

import pytest

from core.access.admin import assign_role_by_name
from core.identity import add_user
from modules.crm.graphql.types import CustomerType
from tests.conftest import PASSWORD, Api, TenantFixture, make_tenant

FIELDS = ("emails phones addresses { kind city country } recent: recentOrders(last: 2) { number } "
          "all: recentOrders(last: 20) { number }")
LIST = ("query($n: Int) { customers(first: 20) { edges { node { id ...F } } nodes { id again: emails "
        "recentOrders(last: $n) { number } } } } fragment F on Customer { " + FIELDS + " }")
ONE = "query($id: ID!, $n: Int) { customer(id: $id) { id " + FIELDS + " again: emails recentOrders(last: $n) { number } } }"


async def _customer(api: Api, t: TenantFixture, i: int) -> str:
    made = await api.data("mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } errors { code } } }",
                          {"i": {"firstName": f"C{i}", "emails": [f"c{i}@example.org", f"c{i}.b@example.org"],
                                 "phones": ["+4915112345678"] if i % 2 else []}}, token=t.token)
    cid = str(made["createCustomer"]["customer"]["id"])
    if i % 3:
        added = await api.data("mutation($i: AddCustomerAddressInput!) { addCustomerAddress(input: $i) { "
                               "errors { code } } }", {"i": {"customerId": cid, "address": {
                                   "kind": "shipping", "name": "N", "line1": "1 Elm St", "postalCode": "10115",
                                   "city": f"City {i}", "country": "DE"}}}, token=t.token)
        assert added["addCustomerAddress"]["errors"] == []
    for k in range(i % 4):
        order = await api.data("mutation($i: CreateOrderInput!) { createOrder(input: $i) { errors { code } } }",
                               {"i": {"customerId": cid, "number": f"#{i}{k}", "currency": "EUR",
                                      "placedAt": f"2026-0{k + 1}-01T10:00:00Z",
                                      "lines": [{"sku": "MUG", "unitPrice": "5"}]}}, token=t.token)
        assert order["createOrder"]["errors"] == []
    return cid


def _by_id(data: dict[str, Any]) -> dict[str, Any]:
    return {n["id"]: n for n in (e["node"] for e in data["customers"]["edges"])}


async def test_a_list_answers_what_each_customers_view_answers(
        api: Api, rt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = await make_tenant(api, rt)
    ids = [await _customer(api, shop, i) for i in range(6)]
    agent = await add_user(shop.id, f"agent@{shop.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(shop.id, agent.id, "agent")
    rt.access.invalidate(shop.id)
    agent_token = await api.login(f"agent@{shop.slug}.test", shop.slug)
    one_by_one = (CustomerType._contacts, CustomerType._addresses, CustomerType._recent_orders)

    def not_on_a_list(*_: Any) -> Any:
        raise AssertionError("a list resolved a customer's field one by one")

    for token in (shop.token, agent_token):
        for name in ("_contacts", "_addresses", "_recent_orders"):
            monkeypatch.setattr(CustomerType, name, not_on_a_list)
        listed = await api.data(LIST, {"n": 1}, token=token)
        for name, original in zip(("_contacts", "_addresses", "_recent_orders"), one_by_one, strict=True):
            monkeypatch.setattr(CustomerType, name, original)
        edges, nodes = _by_id(listed), {n["id"]: n for n in listed["customers"]["nodes"]}
        assert sorted(edges) == sorted(ids)
        for cid in ids:
            one = (await api.data(ONE, {"id": cid, "n": 1}, token=token))["customer"]
            assert edges[cid] == {k: one[k] for k in edges[cid]}
            assert nodes[cid] == {"id": cid, "again": one["again"], "recentOrders": one["recentOrders"]}
    shown = _by_id(await api.data(LIST, {"n": 1}, token=agent_token))[ids[1]]
    assert shown["emails"] == ["c***@example.org", "c***@example.org"] and shown["phones"] == ["+49*********78"]
    full = _by_id(await api.data(LIST, {"n": 1}, token=shop.token))[ids[3]]
    assert full["emails"] == ["c3@example.org", "c3.b@example.org"]
    assert [o["number"] for o in full["all"]] == ["#32", "#31", "#30"] and [o["number"] for o in full["recent"]] == [
        "#32", "#31"]


async def test_a_size_out_of_range_is_still_refused_on_a_list(api: Api, tenant: TenantFixture) -> None:
    await _customer(api, tenant, 1)
    body = await api.post("{ customers(first: 5) { nodes { recentOrders(last: 21) { number } } } }", token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
