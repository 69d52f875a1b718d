"""The customer timeline over HTTP (sources merged newest first, cursor paging across sources), and
the way other modules extend Customer without crm importing them."""

from __future__ import annotations

import ast
import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from core.auth.principal import Principal
from core.graphql.context import Context
from core.registry import GraphQLContribution, Module
from modules.crm.graphql.types import CustomerType
from modules.crm.models import CustomerMerge, Note, Order
from modules.crm.services.timeline import (
    TimelineCursor,
    TimelineEvent,
    after_cursor,
    register_timeline_source,
    unregister_timeline_source,
)
from schema.builder import build_schema
from tests.conftest import Api, TenantFixture

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TIMELINE = """query($id: ID!, $first: Int, $after: String) { customer(id: $id) {
  timeline(first: $first, after: $after) { edges { cursor node { kind at summary link linkType } }
                                            pageInfo { hasNextPage endCursor } } } }"""


def _pk(gid: str) -> int:
    return int(base64.b64decode(gid).decode().split(":")[1])


async def _customer(api: Api, t: TenantFixture, name: str = "Tim") -> str:
    data = await api.data("mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } } }",
                          {"i": {"firstName": name}}, token=t.token)
    return str(data["createCustomer"]["customer"]["id"])


# A stand-in for another module's events (tickets, points...): crm knows nothing of it.
POINTS: dict[int, list[tuple[int, datetime]]] = {}


async def points_source(tenant_id: int, customer_id: int, after: TimelineCursor | None, limit: int
                        ) -> list[TimelineEvent]:
    events = [TimelineEvent(at, "points.earned", pk, "Note added", domain="crm") for pk, at in POINTS.get(customer_id, [])]
    if after is not None:
        events = [e for e in events if e.sort_key() > after.sort_key()]
    return sorted(events, key=TimelineEvent.sort_key)[:limit]


@pytest.fixture
def points() -> Iterator[dict[int, list[tuple[int, datetime]]]]:
    register_timeline_source("points.earned", points_source)
    yield POINTS
    unregister_timeline_source("points.earned")
    POINTS.clear()


async def _walk(api: Api, t: TenantFixture, cid: str, first: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        page = (await api.data(TIMELINE, {"id": cid, "first": first, "after": after}, token=t.token))
        timeline = page["customer"]["timeline"]
        seen += [e["node"] for e in timeline["edges"]]
        assert len(timeline["edges"]) <= first
        if not timeline["pageInfo"]["hasNextPage"]:
            return seen
        after = timeline["pageInfo"]["endCursor"]
    raise AssertionError("the cursor never reached the end")


async def test_timeline_merges_sources_newest_first_with_a_correct_cursor(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture, points: dict[int, Any]) -> None:
    cid = await _customer(api, tenant)
    pk = _pk(cid)
    a = await Order.create(tenant_id=tenant.id, customer_id=pk, number="A-1", currency="EUR", placed_at=T0,
                           shipped_at=T0 + timedelta(days=1), delivered_at=T0 + timedelta(days=3))
    # Same placed_at as A-1 (a tie inside one kind) and no shipping yet.
    b = await Order.create(tenant_id=tenant.id, customer_id=pk, number="B-2", currency="EUR", placed_at=T0)
    note = (await api.data('mutation($i: AddCustomerNoteInput!) { addCustomerNote(input: $i) { note { id } } }',
                           {"i": {"customerId": cid, "body": "Called about sizing"}}, token=tenant.token))
    note_id = note["addCustomerNote"]["note"]["id"]
    await Note.filter(id=_pk(note_id)).update(created_at=T0 + timedelta(days=2))
    merge = await CustomerMerge.create(tenant_id=tenant.id, target_id=pk, source_ids=[1, 2], moved={})
    await CustomerMerge.filter(id=merge.id).update(created_at=T0 - timedelta(days=1))
    # Points events: one at the same instant as the delivery and the order placements (ties across sources).
    points[pk] = [(1, T0 + timedelta(days=3)), (2, T0), (3, T0 - timedelta(days=2))]
    # Someone else's order never shows.
    other = await _customer(api, other_tenant)
    await Order.create(tenant_id=other_tenant.id, customer_id=_pk(other), number="X-9", currency="EUR",
                       placed_at=T0 + timedelta(days=9))

    everything = await _walk(api, tenant, cid, 50)
    expected = [
        ("crm.order_delivered", T0 + timedelta(days=3)), ("points.earned", T0 + timedelta(days=3)),
        ("crm.note_added", T0 + timedelta(days=2)), ("crm.order_shipped", T0 + timedelta(days=1)),
        ("crm.order_placed", T0), ("crm.order_placed", T0), ("points.earned", T0),
        ("crm.merged", T0 - timedelta(days=1)), ("points.earned", T0 - timedelta(days=2)),
    ]
    assert [(e["kind"], datetime.fromisoformat(e["at"])) for e in everything] == expected
    assert everything[0]["summary"] == "Order A-1 delivered"
    assert everything[0]["linkType"] == "Order" and _pk(everything[0]["link"]) == a.id
    assert [e["summary"] for e in everything[4:6]] == ["Order A-1 placed", "Order B-2 placed"]
    assert _pk(everything[5]["link"]) == b.id
    assert everything[2]["link"] == note_id and everything[2]["linkType"] == "Note"
    assert everything[7]["summary"] == "2 duplicate records merged into this customer"
    # Every page size walks the same sequence, whichever source the page boundaries fall in.
    for size in (1, 2, 3, 4):
        assert await _walk(api, tenant, cid, size) == everything, size
    # Translated into the caller's language.
    es = await api.data(TIMELINE, {"id": cid, "first": 1}, token=tenant.token, lang="es")
    assert es["customer"]["timeline"]["edges"][0]["node"]["summary"] != "Order A-1 delivered"
    assert "A-1" in es["customer"]["timeline"]["edges"][0]["node"]["summary"]
    # Another tenant cannot reach it.
    assert (await api.data(TIMELINE, {"id": cid}, token=other_tenant.token))["customer"] is None


async def test_bad_cursor_and_page_size(api: Api, tenant: TenantFixture) -> None:
    cid = await _customer(api, tenant)
    for bad in ("nope", base64.urlsafe_b64encode(b'["2026-01-01", "k", 1]').decode(),
                base64.urlsafe_b64encode(b'{"a": 1}').decode()):
        body = await api.post(TIMELINE, {"id": cid, "after": bad}, token=tenant.token)
        assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", bad
    body = await api.post(TIMELINE, {"id": cid, "first": 101}, token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
    empty = await api.data(TIMELINE, {"id": cid}, token=tenant.token)
    assert empty["customer"]["timeline"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


def test_a_source_name_is_taken_once() -> None:
    async def other(*_: Any) -> list[TimelineEvent]:
        return []
    with pytest.raises(ValueError, match="already registered"):
        register_timeline_source("crm.orders", other)
    assert after_cursor  # the helper other modules use is public


# --- Other modules extend Customer without crm importing them ----------------------------------

@strawberry.type
class LoyaltyCustomerFields:
    @strawberry.field(description="Ten points per order (a stand-in for the loyalty module).")
    async def loyalty_points(self, info: Info) -> int:
        customer: CustomerType = self  # type: ignore[assignment]
        return 10 * await Order.filter(tenant_id=info.context.tenant_id, customer_id=customer.id).count()


loyalty_contribution = GraphQLContribution(extends={"Customer": [LoyaltyCustomerFields]})


async def test_another_module_extends_customer_without_crm_importing_it(
        api: Api, rt: Any, tenant: TenantFixture) -> None:
    cid = await _customer(api, tenant, "Loyal")
    for n in range(3):
        await Order.create(tenant_id=tenant.id, customer_id=_pk(cid), number=f"L-{n}", currency="EUR",
                           placed_at=T0)
    fake = Module(name="loyalty_fake", version="1.0", summary="loyalty", package="tests", depends=("crm",),
                  graphql="tests.modules.test_crm_timeline:loyalty_contribution", has_models=False)
    schema = build_schema([*rt.modules, fake], rt.settings)
    assert "loyaltyPoints: Int!" in str(schema)
    context = Context(request=None, rt=rt, locale="en", principal=Principal(tenant.admin_id, tenant.id))
    result = await schema.execute("query($id: ID!) { customer(id: $id) { displayName loyaltyPoints } }",
                                  variable_values={"id": cid}, context_value=context)
    assert result.errors is None, result.errors
    assert result.data == {"customer": {"displayName": "Loyal", "loyaltyPoints": 30}}
    # Without the extending module the field is gone again (the shared type is not left changed).
    assert "loyaltyPoints" not in str(build_schema(rt.modules, rt.settings))
    # crm imports nothing of the module that extends it (nor of any module but core).
    assert _crm_imports_of_others() == []


def _crm_imports_of_others() -> list[tuple[str, str]]:
    found = []
    for path in (Path(__file__).resolve().parents[2] / "modules" / "crm").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [(str(path), n) for n in names
                      if n.startswith("tests") or (n.startswith("modules.") and not n.startswith("modules.crm"))]
    return found
