"""The list pages at a real seller's size (bench/dataset.py: 100,000 customers, about 300,000 orders,
20,000 tickets, on PostgreSQL), each on its first page and deep, against the one SQL statement that
returns the same rows (the floor), interleaved round by round.

Pages (the admin's bearer token, over HTTP in-process as in bench/common.py):
- customers + recentOrders:
  `customers(first: 100) { edges { node { id emails firstName lastName addresses { kind isDefault
  city country } recentOrders(last: 5) { number placedAt total { amount currency } } } } }`
- customers + orders connection: the same with `orders(first: 5) { edges { node { number placedAt
  total { amount currency } } } pageInfo { hasNextPage } }` instead of recentOrders;
- the inbox: `tickets(first: 50)` with the fields of bench/inbox.py.
Each first, then `after:` the endCursor of the 49,900th customer (the 10,000th ticket): the cursor is
computed from the row as core/graphql/pagination.py encodes it, and checked against the one the API
gives by walking the pages.

The floor is one statement per page, written by hand: the page's rows under the same keyset bound,
e-mails, addresses and tags aggregated into arrays over `customer_id IN (SELECT id FROM page)` (the
planner may then use an index or hash the page, whichever the schema allows), the newest orders
(messages) per row through a LATERAL ... LIMIT over the (tenant_id, customer_id, placed_at) index. E-mails
come back encrypted (the app decrypts them; the floor does not: its figure is the database's work).
Before timing, the script checks that the API and the floor give the same customers, e-mails,
addresses and orders (tickets, customers, assignees, tags and last messages), counts the statements
each request runs, and times each of them alone once (median of 5) to show where the SQL time goes.
Each round then times, for every page in turn: the HTTP request, the floor, and the request's own
statements replayed one after the other (its SQL alone).

    .venv/bin/python bench/seller_pages.py [--rebuild] [--rounds N] [--warmup N] [--quick]
                                           [--gc-freeze] [--no-inbox] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import asyncpg
import dataset
from common import Bench, GcWatch, Series, Statement, print_header, recording, replay, serve, short, timed
from graphql import parse
from strawberry import relay
from tortoise import connections

from core.crypto import cipher
from core.graphql.pagination import _decode, _encode  # the API's own cursor format
from core.money import to_decimal
from core.settings import Settings
from schema.limits import query_cost

CUSTOMER_PAGE, CUSTOMER_DEPTH = 100, 49_900
TICKET_PAGE, TICKET_DEPTH = 50, 10_000
LAST = 5
GOAL_P50, GOAL_P99 = 5.0, 8.0
NODE = "id emails firstName lastName addresses { kind isDefault city country }"
MONEY_ORDER = "number placedAt total { amount currency }"
RECENT = ("query($after: String) { customers(first: 100, after: $after) { edges { node { "
          f"{NODE} recentOrders(last: {LAST}) {{ {MONEY_ORDER} }} }} }} }} }}")
CONNECTION = ("query($after: String) { customers(first: 100, after: $after) { edges { node { "
              f"{NODE} orders(first: {LAST}) {{ edges {{ node {{ {MONEY_ORDER} }} }} pageInfo {{ hasNextPage }} }} "
              "} } } }")
INBOX = ("query($after: String) { tickets(first: 50, after: $after) { edges { node { id number subject status "
         "priority slaState tags customer { displayName } assignee { name } lastMessage { kind body createdAt } "
         "} } } }")
WALK_CUSTOMERS = ("query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage "
                  "endCursor } } }")
WALK_TICKETS = "query($after: String) { tickets(first: 50, after: $after) { pageInfo { hasNextPage endCursor } } }"

# The keyset bound the API writes (core/graphql/pagination.py): `key <= v AND (key < v OR (key = v AND id < pk))`.
AFTER = " AND created_at <= $2 AND (created_at < $2 OR (created_at = $2 AND id < $3))"


def customers_floor(after: bool, orders: int) -> str:
    """One statement: the page of customers, their e-mails, addresses and newest `orders` orders."""
    n = 4 if after else 2
    return f"""
WITH page AS (
  SELECT id, first_name, last_name, created_at FROM crm_customer
  WHERE tenant_id = $1 AND merged_into_id IS NULL{AFTER if after else ""}
  ORDER BY created_at DESC, id DESC LIMIT {CUSTOMER_PAGE})
SELECT p.id, p.first_name, p.last_name, e.emails, a.kinds, a.defaults, a.cities, a.countries,
       o.numbers, o.placed, o.totals, o.currencies
FROM page p
LEFT JOIN (SELECT customer_id, array_agg(value ORDER BY is_primary DESC, id) AS emails FROM crm_contact
           WHERE tenant_id = $1 AND kind = 'email' AND customer_id IN (SELECT id FROM page)
           GROUP BY customer_id) e ON e.customer_id = p.id
LEFT JOIN (SELECT customer_id, array_agg(kind ORDER BY id) AS kinds, array_agg(is_default ORDER BY id) AS defaults,
                  array_agg(city ORDER BY id) AS cities, array_agg(country ORDER BY id) AS countries
           FROM crm_address WHERE tenant_id = $1 AND customer_id IN (SELECT id FROM page)
           GROUP BY customer_id) a ON a.customer_id = p.id
LEFT JOIN LATERAL (
  SELECT array_agg(number ORDER BY placed_at DESC, id DESC) AS numbers,
         array_agg(placed_at ORDER BY placed_at DESC, id DESC) AS placed,
         array_agg(total ORDER BY placed_at DESC, id DESC) AS totals,
         array_agg(currency ORDER BY placed_at DESC, id DESC) AS currencies
  FROM (SELECT id, number, placed_at, total, currency FROM crm_order
        WHERE tenant_id = $1 AND customer_id = p.id ORDER BY placed_at DESC, id DESC LIMIT ${n}) x) o ON true
ORDER BY p.created_at DESC, p.id DESC"""  # noqa: S608 - constants only; every value is bound


def tickets_floor(after: bool) -> str:
    """One statement: the page of tickets, their customer's name, assignee's name, tags and last message."""
    return f"""
WITH page AS (
  SELECT id, number, subject, status, priority, customer_id, assignee_id, created_at FROM aftersales_ticket
  WHERE tenant_id = $1{AFTER if after else ""}
  ORDER BY created_at DESC, id DESC LIMIT {TICKET_PAGE})
SELECT p.id, p.number, p.subject, p.status, p.priority, c.display_name, u.name AS assignee, g.tags,
       m.kind, m.body, m.created_at AS message_at
FROM page p
LEFT JOIN crm_customer c ON c.tenant_id = $1 AND c.id = p.customer_id
LEFT JOIN core_user u ON u.id = p.assignee_id
LEFT JOIN (SELECT ticket_id, array_agg(name ORDER BY name) AS tags FROM aftersales_ticket_tag
           WHERE tenant_id = $1 AND ticket_id IN (SELECT id FROM page) GROUP BY ticket_id) g ON g.ticket_id = p.id
LEFT JOIN LATERAL (SELECT kind, body, created_at FROM aftersales_ticket_message
                   WHERE tenant_id = $1 AND ticket_id = p.id ORDER BY id DESC LIMIT 1) m ON true
ORDER BY p.created_at DESC, p.id DESC"""  # noqa: S608 - constants only; every value is bound


# ---------------------------------------------------------------------------------------------
# The same data, from either side


def _node_id(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


def _order(o: dict[str, Any]) -> tuple[str, datetime, Decimal, str]:
    return o["number"], datetime.fromisoformat(o["placedAt"]), Decimal(o["total"]["amount"]), o["total"]["currency"]


def api_customers(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    assert not body.get("errors"), body.get("errors")
    out = []
    for edge in body["data"]["customers"]["edges"]:
        n = edge["node"]
        if "recentOrders" in n:
            orders, more = [_order(o) for o in n["recentOrders"]], None
        else:
            orders = [_order(e["node"]) for e in n["orders"]["edges"]]
            more = n["orders"]["pageInfo"]["hasNextPage"]
        out.append((_node_id(n["id"]), n["firstName"], n["lastName"], n["emails"],
                    [(a["kind"], a["isDefault"], a["city"], a["country"]) for a in n["addresses"]], orders, more))
    return out


def floor_customers(rows: Sequence[Any], connection: bool) -> list[tuple[Any, ...]]:
    decrypt = cipher().decrypt
    out = []
    for r in rows:
        orders = [(num, placed, to_decimal(total, cur), cur) for num, placed, total, cur in zip(
            r["numbers"] or [], r["placed"] or [], r["totals"] or [], r["currencies"] or [], strict=True)]
        more = len(orders) > LAST if connection else None
        out.append((int(r["id"]), r["first_name"], r["last_name"], [decrypt(v) for v in r["emails"] or []],
                    list(zip(r["kinds"] or [], r["defaults"] or [], r["cities"] or [], r["countries"] or [],
                             strict=True)), orders[:LAST], more))
    return out


def api_tickets(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    assert not body.get("errors"), body.get("errors")
    return [(_node_id(n["id"]), n["number"], n["subject"], n["status"], n["priority"],
             (n["customer"] or {}).get("displayName"), (n["assignee"] or {}).get("name"), n["tags"],
             (n["lastMessage"] or {}).get("kind"), (n["lastMessage"] or {}).get("body"))
            for n in (e["node"] for e in body["data"]["tickets"]["edges"])]


def floor_tickets(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [(int(r["id"]), r["number"], r["subject"], r["status"], r["priority"], r["display_name"], r["assignee"],
             list(r["tags"] or []), r["kind"], r["body"]) for r in rows]


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Page:
    name: str
    query: str
    after: str | None
    floor_sql: str
    floor_args: list[Any]
    api_rows: Callable[[dict[str, Any]], list[tuple[Any, ...]]]
    floor_rows: Callable[[Sequence[Any]], list[tuple[Any, ...]]]
    size: int
    statements: list[Statement] = field(default_factory=list)
    slowest: list[tuple[float, int, str]] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)


async def deep_cursor(bench: Bench, headers: dict[str, str], table: str, where: str, tenant_id: int, depth: int,
                      walk: str, key: str, page: int) -> str:
    """The endCursor after `depth` rows: computed from the row (as pagination._encode does), then checked
    against the one the API returns after walking depth / page pages."""
    conn = connections.get("default")
    _, rows = await conn.execute_query(
        f"SELECT created_at, id FROM {table} WHERE tenant_id = $1{where} "  # noqa: S608 - constants only
        "ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1", [tenant_id, depth - 1])
    computed = _encode(rows[0]["created_at"], int(rows[0]["id"]))
    after = None
    t0 = time.perf_counter()
    for _ in range(depth // page):
        body = await bench.graphql(walk, headers, {"after": after})
        assert not body.get("errors"), body
        after = body["data"][key]["pageInfo"]["endCursor"]
    assert after == computed, (after, computed)
    print(f"  {key}: the cursor after {depth:,} rows, walked through {depth // page} pages in "
          f"{time.perf_counter() - t0:.1f} s, is the computed one")
    return computed


async def profile_statements(statements: Sequence[Statement]) -> list[tuple[float, int, str]]:
    """Each statement alone, the median of 5 runs, summed over the statements of the same text:
    (ms, how many, the text shortened), slowest first."""
    conn = connections.get("default")
    groups: dict[str, list[float]] = {}
    for s in statements:
        runs = []
        for _ in range(5):
            t0 = time.perf_counter_ns()
            await getattr(conn, s.method)(s.query, *s.args, **s.kwargs)
            runs.append(time.perf_counter_ns() - t0)
        groups.setdefault(short(s.query), []).append(statistics.median(runs) / 1e6)
    return sorted(((sum(times), len(times), text) for text, times in groups.items()), reverse=True)


# The indexes issue 10 added to the product (commit 7916e0a), for measuring a schema from before it: created for
# a run with --planned-indexes when the column has no index yet, and dropped after it, so the database stays as
# the migrations leave it.
PLANNED = (("bench_planned_contact_customer", "crm_contact", "customer_id"),
           ("bench_planned_address_customer", "crm_address", "customer_id"),
           ("bench_planned_line_order", "crm_order_line", "order_id"))


async def planned_indexes(create: bool) -> None:
    """Create (and ANALYZE) or drop the PLANNED indexes; a run without them first drops any a killed run left."""
    conn = await asyncpg.connect(dataset.DSN)
    try:
        for name, table, column in PLANNED:
            if create and await conn.fetchval(
                    "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    "AND a.attnum = i.indkey[0] WHERE i.indrelid = $1::regclass AND a.attname = $2", table, column):
                print(f"  planned index on {table} ({column}): the schema has one already")
            elif create:
                t0 = time.perf_counter()
                await conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")
                await conn.execute(f"ANALYZE {table}")
                print(f"  planned index {name} on {table} ({column}): {time.perf_counter() - t0:.1f} s")
            else:
                await conn.execute(f"DROP INDEX IF EXISTS {name}")
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> int:
    print_header("seller_pages")
    t0 = time.perf_counter()
    seller = await dataset.ensure(args.rebuild)
    print(f"data set ready in {time.perf_counter() - t0:.1f} s")
    await planned_indexes(False)
    if args.planned_indexes:
        await planned_indexes(True)
    try:
        return await measure(args, seller)
    finally:
        if args.planned_indexes:
            await planned_indexes(False)


def cost_check(env: dict[str, str]) -> None:
    """Each page's cost as the product's limit counts it, against the default limit (`--max-cost` may
    start the app with another)."""
    default = Settings.from_env(env)
    for name, query in (("customers + recentOrders", RECENT), ("customers + orders connection", CONNECTION),
                        ("inbox", INBOX)):
        cost = query_cost(parse(query), None, {"after": None}, default.default_page_size, 10**9)
        verdict = "REFUSED at" if cost > default.max_cost else "within"
        print(f"  {name}: cost {cost:,}, {verdict} the default max_cost ({default.max_cost:,})")


def customer_pages(tid: int, after: str) -> list[Page]:
    value, pk = _decode(after, "en")
    pages = []
    for label, query, orders, connection in (
            ("customers + recentOrders(last: 5)", RECENT, LAST, False),
            ("customers + orders(first: 5) connection", CONNECTION, LAST + 1, True)):
        def rows(r: Sequence[Any], connection: bool = connection) -> list[tuple[Any, ...]]:
            return floor_customers(r, connection)
        for deep in (False, True):
            where = f"after {CUSTOMER_DEPTH:,}" if deep else "first page"
            pages.append(Page(f"{label}, {where}", query, after if deep else None, customers_floor(deep, orders),
                              [tid, value, pk, orders] if deep else [tid, orders], api_customers, rows,
                              CUSTOMER_PAGE))
    return pages


def ticket_pages(tid: int, after: str) -> list[Page]:
    value, pk = _decode(after, "en")
    return [Page(f"inbox tickets(first: 50), {f'after {TICKET_DEPTH:,}' if deep else 'first page'}", INBOX,
                 after if deep else None, tickets_floor(deep), [tid, value, pk] if deep else [tid], api_tickets,
                 floor_tickets, TICKET_PAGE) for deep in (False, True)]


async def measure(args: argparse.Namespace, seller: dataset.Seller) -> int:
    overrides = {"max_cost": args.max_cost} if args.max_cost else {}
    async with serve(seller.env, "postgres", **overrides) as bench:
        print(f"app started in {time.perf_counter() - bench.started:.1f} s ({dataset.DB_NAME}, Redis db 2, "
              f"max_cost {bench.rt.settings.max_cost:,})")
        cost_check(seller.env)
        headers = await bench.login(seller.admin_email, seller.slug, seller.password)
        tid = seller.tenant_id
        pages = customer_pages(tid, await deep_cursor(
            bench, headers, "crm_customer", " AND merged_into_id IS NULL", tid, CUSTOMER_DEPTH, WALK_CUSTOMERS,
            "customers", CUSTOMER_PAGE))
        if not args.no_inbox:
            pages += ticket_pages(tid, await deep_cursor(bench, headers, "aftersales_ticket", "", tid, TICKET_DEPTH,
                                                         WALK_TICKETS, "tickets", TICKET_PAGE))
        conn = connections.get("default")

        def http(p: Page) -> Callable[[], Awaitable[dict[str, Any]]]:
            return lambda: bench.graphql(p.query, headers, {"after": p.after})

        def floor(p: Page) -> Callable[[], Awaitable[Any]]:
            async def go() -> Any:
                _, rows = await conn.execute_query(p.floor_sql, p.floor_args)
                return rows
            return go

        print("\nchecks and statements:")
        for p in pages:
            await http(p)()
            with recording() as p.statements:
                body = await http(p)()
            got, want = p.api_rows(body), p.floor_rows(await floor(p)())
            assert len(got) == p.size, (p.name, len(got))
            assert got == want, (p.name, next(x for x in zip(got, want, strict=True) if x[0] != x[1]))
            p.slowest = await profile_statements(p.statements)
            sql_ms = sum(ms for ms, _, _ in p.slowest)
            print(f"- {p.name}: same {len(got)} rows from the API and the floor; the request ran "
                  f"{len(p.statements)} statements, {sql_ms:.1f} ms run one by one:")
            for ms, count, text in p.slowest:
                print(f"    {ms:7.2f} ms  {str(count) + ' x ' if count > 1 else ''}{text}")
            if args.explain:
                _, plan = await conn.execute_query("EXPLAIN (ANALYZE, BUFFERS) " + p.floor_sql, p.floor_args)
                print("    floor plan:\n" + "\n".join("      " + r[0] for r in plan))

        for p in pages:
            p.series = {k: Series(k, []) for k in ("http", "floor", "replay")}
        rounds = args.rounds or (20 if args.quick else 100)
        warmup = args.warmup if args.warmup is not None else (2 if args.quick else 5)
        for _ in range(warmup):
            for p in pages:
                await http(p)()
                await floor(p)()
                await replay(p.statements)
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        started = time.perf_counter()
        with GcWatch() as watch:
            for _ in range(rounds):
                for p in pages:
                    ns, body = await timed(http(p))
                    assert not body.get("errors"), body.get("errors")
                    p.series["http"].samples_ns.append(ns)
                    ns, _ = await timed(floor(p))
                    p.series["floor"].samples_ns.append(ns)
                    ns, _ = await timed(lambda p=p: replay(p.statements))  # type: ignore[misc]
                    p.series["replay"].samples_ns.append(ns)
        elapsed = time.perf_counter() - started
        profiles = {p.name: await profile_requests(http(p), args.profile) for p in pages} if args.profile else {}

    print(f"\n{rounds} rounds after {warmup} warm-up rounds in {elapsed:.0f} s; "
          f"{'gc.freeze() after warm-up; ' if args.gc_freeze else ''}during the timed rounds: {watch.summary()}")
    print(f"data set: {seller.counts} (built {seller.built}); "
          f"{'with the planned indexes' if args.planned_indexes else 'the schema as migrated'}\n")
    print("| page | statements | sellercare p50 | p99 | floor p50 | p99 | ratio p50 | ratio p99 | "
          "its statements replayed p50 | p99 | goal (5x / 8x) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for p in pages:
        h, f, r = p.series["http"], p.series["floor"], p.series["replay"]
        r50, r99 = h.pct(50) / f.pct(50), h.pct(99) / f.pct(99)
        goal = "met" if r50 <= GOAL_P50 and r99 <= GOAL_P99 else "not met"
        print(f"| {p.name} | {len(p.statements)} | {h.pct(50):.1f} ms | {h.pct(99):.1f} ms | {f.pct(50):.2f} ms | "
              f"{f.pct(99):.2f} ms | {r50:.1f}x | {r99:.1f}x | {r.pct(50):.1f} ms | {r.pct(99):.1f} ms | {goal} |")
    for name, (totals, functions) in profiles.items():
        print(f"\nprofile of {name} ({args.profile} requests, cProfile, self time per request; cProfile slows "
              "Python down, not the database; no GC):")
        print("  " + ", ".join(f"{owner} {ms:.1f} ms" for owner, ms in totals[:10]))
        for ms, function in functions:
            print(f"    {ms:6.2f} ms  {function}")
    return 0


def _owner(filename: str, function: str) -> str:
    """Who a profiled function belongs to: a package of the virtualenv, the product, or the event loop's wait."""
    if "epoll" in function or "select" in function and filename == "~":
        return "waiting (database, event loop idle)"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for part in ("core", "modules", "schema"):
        if f"/{part}/" in filename and "/lib/python" not in filename:
            return f"sellercare {part}/"
    return "python (stdlib, builtins)"


async def profile_requests(request: Callable[[], Awaitable[Any]], count: int
                           ) -> tuple[list[tuple[str, float]], list[tuple[float, str]]]:
    """cProfile over `count` requests: self time per owner and of the top functions (ms per request),
    largest first. The collector is off meanwhile: a full collection would be charged to whichever
    function it interrupted (the timed rounds report collections apart)."""
    profiler = cProfile.Profile()
    gc.collect()
    gc.disable()
    try:
        profiler.enable()
        for _ in range(count):
            await request()
        profiler.disable()
    finally:
        gc.enable()
    totals: dict[str, float] = {}
    functions: list[tuple[float, str]] = []
    stats: Any = cast(Any, pstats.Stats(profiler)).stats  # the raw table pstats keeps
    for (filename, line, function), (_, calls, self_time, _, _) in stats.items():
        owner = _owner(filename, function)
        totals[owner] = totals.get(owner, 0.0) + self_time * 1000 / count
        where = filename.split("site-packages/")[-1].split("/wt-bench/")[-1].split("/lib/python3.11/")[-1]
        functions.append((self_time * 1000 / count, f"{function} ({where}:{line}, {calls // count} calls)"))
    return sorted(totals.items(), key=lambda kv: -kv[1]), sorted(functions, reverse=True)[:12]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rebuild", action="store_true", help=f"build {dataset.DB_NAME} again first")
    parser.add_argument("--rounds", type=int, default=0, help="timed rounds (default 100; --quick: 20)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up rounds (default 5; --quick: 2)")
    parser.add_argument("--quick", action="store_true", help="20 rounds after 2 warm-up rounds")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after the warm-up")
    parser.add_argument("--no-inbox", action="store_true", help="the customer pages only")
    parser.add_argument("--max-cost", type=int, default=0,
                        help="start the app with this query cost limit instead of the product's default")
    parser.add_argument("--planned-indexes", action="store_true",
                        help="create the indexes being added to the product for this run (dropped after)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="after timing, profile N requests of each page (self time by package)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each floor")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
