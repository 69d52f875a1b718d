"""An inbox page of 50 tickets with customer, assignee, last message, tags and SLA state: the
GraphQL query (over HTTP and in-process) against the raw SQL that fetches the same data, and the
request's SQL statement count at 10, 25 and 50 tickets.

The app is started as tests/conftest.py starts it (`common.running_app`: a fresh SQLite or
PostgreSQL database, in-process HTTP). The tenant `bench` gets 2,000 tickets (`--tickets`), each
with a customer (of 500), one of 8 agents or none, 1 to 4 messages, 0 to 3 of 8 tags and an SLA
deadline; a second tenant gets 300 tickets created after them, so a page that forgot the tenant
filter would show them first. The page asked for is

    { tickets(first: 50) { edges { node { id number subject status priority slaState tags
        customer { displayName } assignee { name } lastMessage { kind body createdAt } } } } }

and the SQL (5 statements): the tenant's tickets by created_at desc, id desc, LIMIT 51; their
customers; their assignees; their tags; their newest messages (MAX(id) per ticket, then the rows).
Before timing, the script checks that both give the same tickets, customers, assignees, tags and
last messages, and that the statement count does not depend on the page size.

    .venv/bin/python bench/inbox.py               # SQLite, embedded mode (fakeredis)
    .venv/bin/python bench/inbox.py --postgres    # PostgreSQL + Redis on 127.0.0.1
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from common import Bench, GcWatch, Series, placeholders, print_header, print_table, recording, running_app, timed
from strawberry import relay
from tortoise import connections

from core.access.admin import assign_role_by_name
from core.auth.principal import Principal
from core.graphql.context import Context
from core.identity import add_user, create_tenant
from modules.aftersales.models import Ticket, TicketMessage, TicketTag
from modules.crm.models import Customer
from schema.builder import build_schema

PAGE = 50
SIZES = (10, 25, 50)
QUERY = ("query($first: Int) { tickets(first: $first) { edges { node { id number subject status priority slaState "
         "tags customer { displayName } assignee { name } lastMessage { kind body createdAt } } } } }")
TAGS = ("vip", "fragile", "late", "refund", "damaged", "wrong-size", "repeat", "b2b")
BATCH = 1_000


async def seed_tenant(rng: random.Random, tenant_id: int, agents: list[int], tickets: int, start: datetime,
                      customers: int) -> None:
    await Customer.bulk_create(
        [Customer(tenant_id=tenant_id, first_name=f"C{i}", display_name=f"Customer {i}") for i in range(customers)],
        batch_size=BATCH)
    people = list(await Customer.filter(tenant_id=tenant_id).order_by("id"))
    rows = [Ticket(tenant_id=tenant_id, number=n + 1, subject=f"Ticket {n}", type="inquiry", channel="email",
                   status=rng.choice(("new", "open", "pending_customer", "resolved")),
                   priority=rng.choice(("low", "normal", "high", "urgent")),
                   customer_id=rng.choice(people).id, assignee_id=rng.choice([*agents, None]),
                   next_sla_due=start + timedelta(hours=rng.randint(-5, 48)))
            for n in range(tickets)]
    await Ticket.bulk_create(rows, batch_size=BATCH)
    ids = list(await Ticket.filter(tenant_id=tenant_id).order_by("id").values_list("id", flat=True))
    messages, tags = [], []
    for pk in ids:
        for m in range(rng.randint(1, 4)):
            messages.append(TicketMessage(tenant_id=tenant_id, ticket_id=pk, kind=("inbound", "outbound")[m % 2],
                                          body=f"message {m} of {pk}"))
        tags += [TicketTag(tenant_id=tenant_id, ticket_id=pk, name=t) for t in rng.sample(TAGS, rng.randint(0, 3))]
    await TicketMessage.bulk_create(messages, batch_size=BATCH)
    await TicketTag.bulk_create(tags, batch_size=BATCH)
    for i, pk in enumerate(ids):
        if i % 97 == 0:  # created_at is auto_now_add: move a few off insertion order
            await Ticket.filter(id=pk).update(created_at=start - timedelta(minutes=rng.randint(0, 10_000)))


async def seed(bench: Bench, tickets: int) -> tuple[int, int]:
    rng = random.Random(7)
    tenant = await create_tenant("bench", "Bench")
    admin = await add_user(tenant.id, "admin@bench.test", "Admin", "correct horse battery")
    await assign_role_by_name(tenant.id, admin.id, "admin")
    agents = [admin.id]
    for i in range(7):
        agent = await add_user(tenant.id, f"agent{i}@bench.test", f"Agent {i}", "correct horse battery")
        agents.append(agent.id)
    bench.rt.access.invalidate(tenant.id)
    start = datetime.now(UTC)
    await seed_tenant(rng, tenant.id, agents, tickets, start, 500)
    other = await create_tenant("other", "Other")
    await seed_tenant(rng, other.id, [], 300, start + timedelta(days=1), 100)
    if bench.pg:
        await connections.get("default").execute_script("ANALYZE")
    return tenant.id, admin.id


class Sql:
    """The page's raw SQL, spelled for the running dialect."""

    def __init__(self, pg: bool, tenant_id: int):
        self.pg, self.tenant_id, self.conn = pg, tenant_id, connections.get("default")

    async def _rows(self, sql: str, values: Sequence[Any]) -> list[Any]:
        _, rows = await self.conn.execute_query(sql, list(values))
        return list(rows)

    def _in(self, ids: Sequence[int], start: int = 2) -> str:
        return ", ".join(placeholders(self.pg, len(ids), start))

    async def page(self) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Any]]:
        t, limit = placeholders(self.pg, 2)
        tickets = await self._rows(
            "SELECT * FROM aftersales_ticket WHERE tenant_id = "  # noqa: S608 - placeholders only
            f"{t} ORDER BY created_at DESC, id DESC LIMIT {limit}", [self.tenant_id, PAGE + 1])
        tickets = tickets[:PAGE]
        ids = [r["id"] for r in tickets]
        customer_ids = sorted({r["customer_id"] for r in tickets if r["customer_id"]})
        user_ids = sorted({r["assignee_id"] for r in tickets if r["assignee_id"]})
        t1 = placeholders(self.pg, 1)[0]
        # Only placeholders are formatted into these statements; every value is bound.
        customers = await self._rows(f"SELECT id, display_name FROM crm_customer WHERE tenant_id = {t1} AND id IN "  # noqa: S608
                                     f"({self._in(customer_ids)})", [self.tenant_id, *customer_ids])
        users = await self._rows(f"SELECT id, name FROM core_user WHERE id IN ({self._in(user_ids, 1)})",  # noqa: S608
                                 user_ids)
        tags = await self._rows(f"SELECT ticket_id, name FROM aftersales_ticket_tag WHERE tenant_id = {t1} AND "  # noqa: S608
                                f"ticket_id IN ({self._in(ids)}) ORDER BY name", [self.tenant_id, *ids])
        last = await self._rows(
            "SELECT * FROM aftersales_ticket_message WHERE id IN (SELECT MAX(id) FROM aftersales_ticket_message "  # noqa: S608
            f"WHERE tenant_id = {t1} AND ticket_id IN ({self._in(ids)}) GROUP BY ticket_id)", [self.tenant_id, *ids])
        return tickets, customers, users, tags, last


def same_data(body: dict[str, Any], sql: tuple[list[Any], ...]) -> None:
    tickets, customers, users, tags, last = sql
    names = {r["id"]: r["display_name"] for r in customers}
    people = {r["id"]: r["name"] for r in users}
    tag_map: dict[int, list[str]] = {}
    for r in tags:
        tag_map.setdefault(r["ticket_id"], []).append(r["name"])
    newest = {r["ticket_id"]: r["body"] for r in last}
    expected = [(r["number"], names.get(r["customer_id"]), people.get(r["assignee_id"]),
                 tag_map.get(r["id"], []), newest.get(r["id"])) for r in tickets]
    got = [(n["number"], (n["customer"] or {}).get("displayName"), (n["assignee"] or {}).get("name"), n["tags"],
            (n["lastMessage"] or {}).get("body")) for n in (e["node"] for e in body["tickets"]["edges"])]
    assert got == expected, "the API and the SQL disagree"
    assert {int(relay.GlobalID.from_id(e["node"]["id"]).node_id) for e in body["tickets"]["edges"]} == {
        r["id"] for r in tickets}


async def run(args: argparse.Namespace) -> int:
    async with running_app(args.postgres) as bench:
        print_header("inbox page")
        tenant_id, admin_id = await seed(bench, args.tickets)
        print(f"{bench.dialect} ({bench.services}); {args.tickets} tickets, another tenant with 300")
        headers = await bench.login("admin@bench.test", "bench")
        schema = build_schema(bench.rt.modules, bench.rt.settings)
        sql = Sql(bench.pg, tenant_id)

        async def in_process(size: int = PAGE) -> dict[str, Any]:
            ctx = Context(request=None, rt=bench.rt, locale="en", principal=Principal(admin_id, tenant_id))
            result = await schema.execute(QUERY, variable_values={"first": size}, context_value=ctx)
            assert result.errors is None, result.errors
            return dict(result.data or {})

        async def http() -> dict[str, Any]:
            body = await bench.graphql(QUERY, headers, {"first": PAGE})
            assert "errors" not in body, body
            return dict(body["data"])

        same_data(await in_process(), await sql.page())
        counts = {}
        for size in SIZES:
            with recording() as seen:
                await in_process(size)
            counts[size] = len(seen)
        print("SQL statements per page (GraphQL in-process): "
              + ", ".join(f"{n} at first: {s}" for s, n in counts.items()) + "; raw SQL: 5")
        if len(set(counts.values())) != 1:
            print("FAIL: the statement count depends on the page size", file=sys.stderr)
            return 1
        series = {k: Series(k, []) for k in ("http", "graphql", "sql")}
        calls = {"http": http, "graphql": in_process, "sql": sql.page}
        with GcWatch() as watch:
            for i in range(args.warmup + args.requests):
                for key, call in calls.items():
                    elapsed, _ = await timed(call)
                    if i >= args.warmup:
                        series[key].samples_ns.append(elapsed)
        print_table(series, {"http": "HTTP (auth, GraphQL, JSON)", "graphql": "GraphQL in-process (schema.execute)",
                             "sql": "raw SQL, same data (5 statements)"})
        g, s = series["graphql"], series["sql"]
        print(f"GraphQL in-process / raw SQL: p50 {g.pct(50) / s.pct(50):.1f}x, p99 {g.pct(99) / s.pct(99):.1f}x; "
              f"statements {counts[PAGE]} / 5 = {counts[PAGE] / 5:.1f}x. {watch.summary()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--tickets", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
