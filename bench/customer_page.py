"""A page of 100 customers with their tags and last 5 orders: the HTTP request against the raw SQL
that fetches the same data, and the request's SQL statement count at 10, 50 and 100 customers.

The app is started as tests/conftest.py starts it (see `common.running_app`): a fresh SQLite or
PostgreSQL database, in-process HTTP through `httpx.ASGITransport`. The tenant `bench` gets
1,000 customers (`--customers`), each with 0 to 3 of 10 tags and 0 to 20 orders in one or two
currencies; a second tenant gets 300 customers with orders and tags of its own, all created
after the bench tenant's, so a page that forgot the tenant filter would show them first. Rows go
in with `bulk_create` in batches (no contacts: the query does not ask for them), then PostgreSQL gets an
`ANALYZE`, as autovacuum would give it. The admin logs in
with the `login` mutation and asks, with its bearer token, for

    { customers(first: 100) { edges { node { id displayName tags { name colour }
        recentOrders(last: 5) { number total { amount currency } placedAt } } }
      pageInfo { hasNextPage endCursor } } }

Each round times, one after the other on the same connection:
- HTTP: the whole request (token, membership, permission, GraphQL, JSON) as a client sees it;
- GraphQL in-process: `schema.execute` of the same query with a ready principal;
- SQL, the page (3 statements): the tenant's customers ordered by created_at desc, id desc,
  LIMIT 101; their tags (tag links joined to tags); the last 5 orders of each of them (a
  ROW_NUMBER window over crm_order);
- SQL, every statement the request issues, replayed with the values it bound (recorded once).
SQL runs through `tortoise.connections.get("default").execute_query(...)`. Before timing, the
script checks that the SQL and the API give the same customers, tags and orders, and that the
request issues the same number of statements for 10, 50 and 100 customers (counted as
tests/querycount.py counts them, by patching the client class, but only the statements of the
request: the app's background tasks, such as the outbox relay, also run SQL).

    .venv/bin/python bench/customer_page.py               # SQLite, embedded mode (fakeredis)
    .venv/bin/python bench/customer_page.py --postgres    # PostgreSQL + Redis on 127.0.0.1
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from common import (
    PG_ADMIN_DSN,
    REDIS_URL,
    Bench,
    GcWatch,
    Series,
    Statement,
    placeholders,
    print_header,
    print_table,
    recording,
    replay,
    running_app,
    short,
    show_sql,
    timed,
)
from strawberry import relay
from tortoise import connections
from tortoise.models import Model

from core.access.admin import assign_role_by_name
from core.auth.principal import Principal
from core.graphql.context import Context
from core.identity import add_user, create_tenant
from core.money import to_decimal
from core.runtime import Runtime
from modules.crm.models import Customer, CustomerTag, Order, Tag
from modules.crm.models.order import ORDER_STATUSES
from schema.builder import build_schema

PAGE = 100
LAST = 5
SIZES = (10, 50, 100)
QUERY = ("query($first: Int) { customers(first: $first) { edges { node { id displayName tags { name colour } "
         f"recentOrders(last: {LAST}) {{ number total {{ amount currency }} placedAt }} }} }} "
         "pageInfo { hasNextPage endCursor } } }")
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")
COLOURS = ("#ef4444", "#f97316", "#eab308", "#22c55e", "#14b8a6", "#3b82f6", "#6366f1", "#a855f7",
           "#ec4899", "#64748b")
BATCH = 1_000


def columns(model: type[Model], alias: str = "") -> str:
    """The columns the ORM selects for `model` (whatever fields it has today)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + c for c in model._meta.fields_db_projection.values())


# ---------------------------------------------------------------------------------------------
# Raw SQL


class Sql:
    """The page's SQL, spelled for the running dialect (`?` for SQLite, `$n` for PostgreSQL)."""

    def __init__(self, pg: bool, tenant_id: int):
        self.pg = pg
        self.tenant_id = tenant_id
        self.conn = connections.get("default")
        self.customer_columns = columns(Customer)
        self.order_columns = columns(Order)
        # Merged customers (modules/crm/services/merge.py) leave lists, where the model has them.
        merged = "merged_into_id" in Customer._meta.fields_db_projection.values()
        self.listed = " AND merged_into_id IS NULL" if merged else ""

    async def customers(self, size: int = PAGE) -> list[Any]:
        t, limit = placeholders(self.pg, 2)
        sql = (f"SELECT {self.customer_columns} FROM crm_customer "  # noqa: S608 - placeholders only
               f"WHERE tenant_id = {t}{self.listed} ORDER BY created_at DESC, id DESC LIMIT {limit}")
        _, rows = await self.conn.execute_query(sql, [self.tenant_id, size + 1])
        return list(rows)

    async def tags(self, ids: Sequence[int]) -> list[Any]:
        t, *marks = placeholders(self.pg, 1 + len(ids))
        sql = ("SELECT ct.customer_id, g.id, g.name, g.colour FROM crm_customer_tag ct "  # noqa: S608
               "JOIN crm_tag g ON g.id = ct.tag_id AND g.tenant_id = ct.tenant_id "
               f"WHERE ct.tenant_id = {t} AND ct.customer_id IN ({', '.join(marks)}) ORDER BY g.name")
        _, rows = await self.conn.execute_query(sql, [self.tenant_id, *ids])
        return list(rows)

    async def recent_orders(self, ids: Sequence[int], last: int = LAST) -> list[Any]:
        t, *marks, n = placeholders(self.pg, 2 + len(ids))
        sql = (f"SELECT {self.order_columns} FROM (SELECT {self.order_columns}, "  # noqa: S608
               "ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY placed_at DESC, id DESC) AS rn "
               f"FROM crm_order WHERE tenant_id = {t} AND customer_id IN ({', '.join(marks)})) ranked "
               f"WHERE rn <= {n} ORDER BY customer_id, rn")
        _, rows = await self.conn.execute_query(sql, [self.tenant_id, *ids, last])
        return list(rows)

    async def page(self) -> tuple[list[Any], list[Any], list[Any]]:
        """The three statements; returns their rows."""
        customers = await self.customers()
        ids = [int(r["id"]) for r in customers[:PAGE]]
        return customers, await self.tags(ids), await self.recent_orders(ids)


# ---------------------------------------------------------------------------------------------
# Set-up


async def seed_customers(rng: random.Random, tenant_id: int, count: int, start: datetime, prefix: str) -> int:
    """`count` customers with 0-3 of 10 tags and 0-20 orders in 1-2 currencies; returns the orders."""
    await Tag.bulk_create([Tag(tenant_id=tenant_id, name=f"{prefix} tag {i}", colour=COLOURS[i])
                           for i in range(10)])
    tag_ids = list(await Tag.filter(tenant_id=tenant_id).order_by("id").values_list("id", flat=True))
    customers = []
    for i in range(count):
        first, last = f"First{i:04}", f"{prefix.title()}{i:04}"
        customers.append(Customer(tenant_id=tenant_id, first_name=first, last_name=last,
                                  display_name=f"{first} {last}", country=rng.choice(("DE", "FR", "GB", "US")),
                                  currency=rng.choice(CURRENCIES), created_at=start + timedelta(seconds=i)))
    for b in range(0, len(customers), BATCH):
        await Customer.bulk_create(customers[b:b + BATCH])
    ids = list(await Customer.filter(tenant_id=tenant_id).order_by("id").values_list("id", flat=True))
    links: list[CustomerTag] = []
    orders: list[Order] = []
    for cid in ids:
        links += [CustomerTag(tenant_id=tenant_id, customer_id=cid, tag_id=t)
                  for t in rng.sample(tag_ids, rng.randint(0, 3))]
        currencies = rng.sample(CURRENCIES, rng.randint(1, 2))
        for _ in range(rng.randint(0, 20)):
            subtotal = rng.randint(500, 50_000)
            tax = subtotal // 5
            orders.append(Order(tenant_id=tenant_id, customer_id=cid, number=f"{prefix.upper()}-{len(orders):06}",
                                status=rng.choice(ORDER_STATUSES), currency=rng.choice(currencies),
                                subtotal=subtotal, shipping=495, tax=tax, total=subtotal + 495 + tax,
                                placed_at=start - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))))
    for b in range(0, len(links), BATCH):
        await CustomerTag.bulk_create(links[b:b + BATCH])
    for b in range(0, len(orders), BATCH):
        await Order.bulk_create(orders[b:b + BATCH])
    return len(orders)


async def seed(rt: Runtime, customers: int) -> tuple[int, int, str, int]:
    """The bench tenant (its admin, `customers` customers) and a second tenant of 300 newer ones."""
    rng = random.Random(20261126)
    tenant = await create_tenant("bench", "Bench merchant")
    admin = await add_user(tenant.id, "admin@bench.test", "Admin", "correct horse battery")
    await assign_role_by_name(tenant.id, admin.id, "admin")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    orders = await seed_customers(rng, tenant.id, customers, start, "bench")
    other = await create_tenant("other", "Other merchant")
    await seed_customers(rng, other.id, 300, start + timedelta(days=30), "other")
    if connections.get("default").capabilities.dialect == "postgres":
        await connections.get("default").execute_script("ANALYZE")  # as autovacuum would after such a load
    rt.access.invalidate(None)
    return tenant.id, admin.id, "bench", orders


# ---------------------------------------------------------------------------------------------
# Checks


def api_page(body: dict[str, Any]) -> list[tuple[int, list[str], list[tuple[str, Decimal, str]]]]:
    """(customer id, tag names, [(order number, total, currency)]) for each customer of the page."""
    assert not body.get("errors"), body
    result = []
    for edge in body["data"]["customers"]["edges"]:
        node = edge["node"]
        result.append((int(relay.GlobalID.from_id(node["id"]).node_id), [t["name"] for t in node["tags"]],
                       [(o["number"], Decimal(o["total"]["amount"]), o["total"]["currency"])
                        for o in node["recentOrders"]]))
    return result


def sql_page(customers: list[Any], tags: list[Any], orders: list[Any]
             ) -> list[tuple[int, list[str], list[tuple[str, Decimal, str]]]]:
    by_tag: dict[int, list[str]] = defaultdict(list)
    for r in tags:
        by_tag[int(r["customer_id"])].append(r["name"])
    by_order: dict[int, list[tuple[str, Decimal, str]]] = defaultdict(list)
    for r in orders:
        by_order[int(r["customer_id"])].append((r["number"], to_decimal(int(r["total"]), r["currency"]),
                                                r["currency"]))
    return [(int(c["id"]), by_tag[int(c["id"])], by_order[int(c["id"])]) for c in customers[:PAGE]]


# ---------------------------------------------------------------------------------------------
# The run


async def run(args: argparse.Namespace) -> int:
    requests = 50 if args.quick and not args.requests else (args.requests or 300)
    warmup = 5 if args.quick and args.warmup is None else (args.warmup if args.warmup is not None else 20)
    print_header("customer_page")
    async with running_app(args.postgres) as bench:
        series, watch, counts, statements = await measure(bench, args, requests, warmup)
        dialect = bench.dialect

    labels = {
        "http": "HTTP request (httpx ASGI transport, whole stack)",
        "graphql": "GraphQL in-process (schema.execute, no HTTP/auth)",
        "page": "SQL: customers + tags + last 5 orders (3 statements)",
        "all": f"SQL: every statement the request issues ({len(statements)}), replayed",
    }
    print(f"\n{requests} rounds after {warmup} warm-up rounds; {dialect}; "
          f"{'gc.freeze() after warm-up; ' if args.gc_freeze else ''}"
          f"during the timed rounds: {watch.summary()}\n")
    print_table(series, labels)
    http_s, page_s = series["http"], series["page"]
    print(f"\nratio HTTP / SQL page: p50 {http_s.pct(50) / page_s.pct(50):.1f}x, "
          f"p99 {http_s.pct(99) / page_s.pct(99):.1f}x")
    print("SQL statements per request: " + ", ".join(f"{n} at first: {size}" for size, n in counts.items()))
    return 0


async def measure(bench: Bench, args: argparse.Namespace, requests: int, warmup: int
                  ) -> tuple[dict[str, Series], GcWatch, dict[int, int], list[Statement]]:
    rt = bench.rt
    tenant_id, admin_id, slug, orders = await seed(rt, args.customers)
    print(f"database: {bench.dialect} ({bench.services}); tenant with {args.customers} customers and "
          f"{orders} orders, another with 300; set up in {time.perf_counter() - bench.started:.1f} s")
    headers = await bench.login("admin@bench.test", slug)

    async def http(size: int = PAGE) -> dict[str, Any]:
        return await bench.graphql(QUERY, headers, {"first": size})

    schema = build_schema(rt.modules, rt.settings)

    async def in_process() -> Any:
        ctx = Context(request=None, rt=rt, locale="en", principal=Principal(admin_id, tenant_id))
        return await schema.execute(QUERY, variable_values={"first": PAGE}, context_value=ctx)

    sql = Sql(bench.pg, tenant_id)

    # The API and the SQL describe the same page.
    body = await http()
    customers, tags, recent = await sql.page()
    assert api_page(body) == sql_page(customers, tags, recent), "the SQL page differs from the API's"
    info = body["data"]["customers"]["pageInfo"]
    assert info["hasNextPage"] == (len(customers) > PAGE) and len(body["data"]["customers"]["edges"]) == PAGE
    direct = await in_process()
    assert direct.errors is None, direct.errors
    print(f"page checked: {PAGE} customers, {len(tags)} tags, {len(recent)} orders, same in the API and the SQL")

    # The statement count does not depend on the page size.
    counts: dict[int, int] = {}
    listed: list[str] = []
    for size in SIZES:
        await http(size)
        with recording() as seen:
            page = await http(size)
        assert not page.get("errors") and len(page["data"]["customers"]["edges"]) == size, page
        counts[size] = len(seen)
        listed = [s.query for s in seen]
    print("SQL statements per request: " + ", ".join(f"{n} at first: {s}" for s, n in counts.items()))
    print(f"those of first: {PAGE}:")
    for q in listed:
        print(f"  {short(q)}")
    assert len(set(counts.values())) == 1, f"the statement count depends on the page size: {counts}"
    with recording() as statements:
        await http()
    assert len(statements) == counts[PAGE], (len(statements), counts)
    if args.show_sql:
        print("\nSQL of one request:")
        show_sql(True)
        await http()
        show_sql(False)

    async def one_round(series: dict[str, Series]) -> None:
        ns, out = await timed(http)
        assert not out.get("errors"), out
        series["http"].samples_ns.append(ns)
        ns, res = await timed(in_process)
        assert res.errors is None
        series["graphql"].samples_ns.append(ns)
        ns, rows = await timed(sql.page)
        assert len(rows[0]) == PAGE + 1
        series["page"].samples_ns.append(ns)
        ns, _ = await timed(lambda: replay(statements))
        series["all"].samples_ns.append(ns)

    for _ in range(warmup):
        await http()
        await in_process()
        await sql.page()
        await replay(statements)

    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    series = {k: Series(k, []) for k in ("http", "graphql", "page", "all")}
    watch = GcWatch()
    with watch:
        for _ in range(requests):
            await one_round(series)
    return series, watch, counts, statements


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--postgres", action="store_true",
                        help=f"PostgreSQL (a fresh database on {PG_ADMIN_DSN.rsplit('/', 1)[0]}, "
                             f"dropped after) and Redis at {REDIS_URL}")
    parser.add_argument("--quick", action="store_true", help="50 rounds after 5 warm-up rounds")
    parser.add_argument("--requests", type=int, default=0, help="timed rounds (default 300)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up rounds (default 20)")
    parser.add_argument("--customers", type=int, default=1_000, help="customers of the bench tenant")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after the warm-up, so full collections skip start-up objects")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL of one HTTP request")
    args = parser.parse_args(argv)
    if args.customers < PAGE + 10:
        parser.error(f"--customers must be at least {PAGE + 10}: the page needs a next page")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
