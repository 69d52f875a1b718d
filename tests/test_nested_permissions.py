"""One rule for data behind a permission: the same check on every path to it, and a field the
caller may not read is null with FORBIDDEN at its path, never taking its parent with it."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry import relay

from core.graphql.node import ScopedNode, to_global_id
from core.registry import RegistryError
from modules.aftersales.models import ReturnRequest, Ticket
from modules.crm.graphql.types import CustomerType
from schema.nested_permissions import guard_nested_fields
from tests.conftest import Api, TenantFixture, accept, invite

ROLE = 'mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } errors { code } } }'
GRANT = 'mutation($i: GrantInput!) { grantPermission(input: $i) { errors { code } } }'
CUSTOMER = """query($id: ID!) { customer(id: $id) {
  displayName
  tickets(first: 5) { edges { node { id } } }
  orders(first: 20) { edges { node { number refundableAmount { amount } returns { id } } } }
  timeline(first: 50) { edges { node { kind } } }
} }"""
RETURNS = """{ returns(first: 20) { edges { node { id customer { displayName } order { number } ticket { id } } } } }"""


async def _member(api: Api, rt: Any, admin: TenantFixture, name: str, *permissions: str) -> str:
    """A member whose only role grants exactly `permissions`; its access token."""
    role = (await api.data(ROLE, {"i": {"name": name}}, token=admin.token))["createRole"]["role"]["id"]
    for permission in permissions:
        granted = await api.data(GRANT, {"i": {"roleId": role, "permission": permission}}, token=admin.token)
        assert granted["grantPermission"]["errors"] == [], permission
    invitation = await invite(api, admin, f"{name}@{admin.slug}.test", name, [role])
    return str((await accept(api, invitation["token"]))["accessToken"])


@pytest.fixture
async def demo(api: Api, rt: Any, tenant: TenantFixture) -> TenantFixture:
    for module in rt.modules:
        await module.load_demo(tenant.id)
    return tenant


def _errors_at(body: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    return {tuple(e["path"]): e["extensions"]["code"] for e in body.get("errors", [])}


async def test_a_customer_reader_gets_the_customer_without_tickets_or_refunds(api: Api, rt: Any,
                                                                              demo: TenantFixture) -> None:
    ticket = await Ticket.filter(tenant_id=demo.id, customer_id__not_isnull=True).first()
    assert ticket is not None and ticket.customer_id is not None
    cid = to_global_id(CustomerType, ticket.customer_id)
    full = await api.data(CUSTOMER, {"id": cid}, token=demo.token)
    assert full["customer"]["tickets"]["edges"]
    assert any(e["node"]["kind"].startswith("aftersales.") for e in full["customer"]["timeline"]["edges"])

    reader = await _member(api, rt, demo, "reader", "crm.customer:read")
    body = await api.post(CUSTOMER, {"id": cid}, token=reader)
    customer = body["data"]["customer"]
    assert customer["displayName"] == full["customer"]["displayName"]
    assert customer["tickets"] is None
    errors = _errors_at(body)
    assert errors[("customer", "tickets")] == "FORBIDDEN"
    assert customer["orders"]["edges"]
    for i, edge in enumerate(customer["orders"]["edges"]):
        order = edge["node"]
        assert order["number"] and order["refundableAmount"] is None and order["returns"] is None
        assert errors[("customer", "orders", "edges", i, "node", "refundableAmount")] == "FORBIDDEN"
        assert errors[("customer", "orders", "edges", i, "node", "returns")] == "FORBIDDEN"
    kinds = [e["node"]["kind"] for e in customer["timeline"]["edges"]]
    assert kinds and not any(k.startswith("aftersales.") for k in kinds)  # ticket events need ticket:read
    assert len(kinds) == len([k for k in (e["node"]["kind"] for e in full["customer"]["timeline"]["edges"])
                              if not k.startswith("aftersales.")])


async def test_a_returns_reader_sees_customers_nowhere(api: Api, rt: Any, demo: TenantFixture) -> None:
    returned = await ReturnRequest.filter(tenant_id=demo.id).first()
    assert returned is not None
    handler = await _member(api, rt, demo, "returns", "aftersales.return:read")
    body = await api.post(RETURNS, token=handler)
    edges = body["data"]["returns"]["edges"]
    assert edges and all(e["node"]["id"] and e["node"]["customer"] is None and e["node"]["order"] is None
                         for e in edges)
    errors = _errors_at(body)
    assert errors[("returns", "edges", 0, "node", "customer")] == "FORBIDDEN"
    assert errors[("returns", "edges", 0, "node", "order")] == "FORBIDDEN"
    cid = to_global_id(CustomerType, returned.customer_id)
    direct = await api.post("query($id: ID!) { customer(id: $id) { displayName } }", {"id": cid}, token=handler)
    assert direct["data"]["customer"] is None and direct["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_node = await api.post("query($id: ID!) { node(id: $id) { id } }", {"id": cid}, token=handler)
    assert by_node["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # With the customer permission added, the same query shows them.
    both = await _member(api, rt, demo, "both", "aftersales.return:read", "crm.customer:read")
    shown = await api.post(RETURNS, token=both)
    assert all(e["node"]["customer"]["displayName"] and e["node"]["order"]["number"]
               for e in shown["data"]["returns"]["edges"])
    assert set(_errors_at(shown).values()) <= {"FORBIDDEN"}
    assert all(path[-1] == "ticket" for path in _errors_at(shown))  # tickets still need aftersales.ticket:read


@strawberry.type
class Secret(ScopedNode):
    id: relay.NodeID[int]
    read_permission = ("x.secret", "read")


@strawberry.type
class Holder(ScopedNode):
    id: relay.NodeID[int]
    secret: Secret
    read_permission = ("x.holder", "read")


@strawberry.type
class HolderQuery:
    holder: Holder | None = None


def test_a_non_null_field_to_data_behind_another_permission_stops_the_schema() -> None:
    with pytest.raises(RegistryError, match=r"Holder\.secret leads to Secret, which needs x\.secret:read"):
        guard_nested_fields(strawberry.Schema(query=HolderQuery)._schema)
