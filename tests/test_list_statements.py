"""Every list a frontend shows runs the same statements for one row as for a full page: nested
objects (customers, assignees, tags, last messages, lines, actors) are batched, never fetched per
row. The tenant gets every module's demo data (tickets, returns, customers, orders, audit entries)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, TenantFixture
from tests.querycount import count_queries

LISTS = {
    "inbox": """query($n: Int) { tickets(first: $n) { edges { node { id number subject status priority
        customer { id displayName emails } assignee { id name } team { id name } tags lastMessage { body kind }
        order { number } nextSlaDue slaState } } pageInfo { hasNextPage } } }""",
    "returns": """query($n: Int) { returns(first: $n) { edges { node { id kind status suggestion
        customer { id displayName } order { number total { amount currency } } ticket { number }
        lines { sku quantity unitPrice { amount } } refunds { status } shipments { carrier }
        exchangeLines { sku } repair { id } } } } }""",
    "customers": """query($n: Int) { customers(first: $n) { edges { node { id displayName emails phones
        tags { name } defaultShippingAddress { city country } recentOrders(last: 3) { number }
        orders(first: 2) { edges { node { number } } pageInfo { hasNextPage } } stats { orderCount } } } } }""",
    "audit": """query($n: Int) { auditLog(first: $n) { edges { node { id action actor { id name } createdAt } } } }""",
    "users": """query($n: Int) { users(first: $n) { edges { node { id name email roles { name } } } } }""",
}


async def _more_returns(tenant_id: int, copies: int) -> None:
    """The demo has one return: copies of it (and its lines), so the page has rows to batch."""
    from modules.aftersales.models import ReturnLine, ReturnRequest

    skip = {"id", "created_at", "updated_at"}
    for original in await ReturnRequest.filter(tenant_id=tenant_id):
        lines = await ReturnLine.filter(request_id=original.id)
        for _ in range(copies):
            copy = await ReturnRequest.create(**{f: getattr(original, f) for f in original._meta.db_fields
                                                 if f not in skip})
            for line in lines:
                await ReturnLine.create(**{**{f: getattr(line, f) for f in line._meta.db_fields if f != "id"},
                                           "request_id": copy.id})


@pytest.fixture
async def demo(api: Api, rt: Any, tenant: TenantFixture) -> TenantFixture:
    for module in rt.modules:
        await module.load_demo(tenant.id)
    await _more_returns(tenant.id, 3)
    return tenant


async def _count(api: Api, t: TenantFixture, query: str, n: int) -> tuple[int, int]:
    with count_queries() as statements:
        data = await api.data(query, {"n": n}, token=t.token)
    (connection,) = data.values()
    # A page names people (assignees, actors): it never reads their password hashes.
    hashes = [q for q in statements if "password_hash" in q]
    assert not hashes, hashes
    return len(statements), len(connection["edges"])


async def test_every_list_page_costs_the_same_statements_for_one_row_as_for_many(
        api: Api, demo: TenantFixture) -> None:
    for name, query in LISTS.items():
        await api.data(query, {"n": 1}, token=demo.token)  # warm: permissions, the tenant's policy
        one, rows_one = await _count(api, demo, query, 1)
        many, rows_many = await _count(api, demo, query, 100)
        assert rows_one == 1 and rows_many >= 3, f"{name}: the demo data has too few rows ({rows_many})"
        assert many == one, f"{name}: {one} statements for one row, {many} for {rows_many}"
