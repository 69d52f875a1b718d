"""What the API costs on top of its SQL: a 50-row `users` page over HTTP against the same page's SQL.

The app is built as the tests build it (tests/conftest.py): `create_app(Settings.from_env(env))`
over a fresh database migrated by `core.lifecycle.migrate_all`, served in-process through
`asgi_lifespan.LifespanManager` and `httpx.ASGITransport` (no sockets). A tenant gets 60+
members with roles; a second tenant exists so the tenant filter has rows to skip. The admin logs
in through the `login` mutation and asks, with its bearer token, for

    { users(first: 50) { edges { node { id email name roles { name } } }
                         pageInfo { hasNextPage endCursor } } }

Each round times, alternately and on the same connection:
- HTTP: the whole request (auth, permission check, GraphQL, JSON) as a client sees it;
- GraphQL in-process: `schema.execute` with the same query and a ready principal (no HTTP, no
  token, no membership query): where the time goes;
- SQL, the page: the users of the tenant joined through core_membership, ordered by email,
  LIMIT 51, then the role lookup of those users from core_policy;
- SQL, every query the request issues: the page's two, the membership check behind the token,
  and the tenant's visible roles (core_role), as `--show-sql` prints them.
SQL runs through `tortoise.connections.get("default").execute_query(...)`.

    .venv/bin/python bench/api_overhead.py               # SQLite, embedded mode (fakeredis)
    .venv/bin/python bench/api_overhead.py --postgres    # PostgreSQL + Redis on 127.0.0.1
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Sequence
from typing import Any

from common import (
    PASSWORD,
    PG_ADMIN_DSN,
    REDIS_URL,
    GcWatch,
    Series,
    placeholders,
    print_header,
    print_table,
    running_app,
    show_sql,
    timed,
)
from tortoise import connections

from core.access.admin import assign_role_by_name
from core.access.subjects import domain, user_subject
from core.auth.principal import Principal
from core.graphql.context import Context
from core.identity import add_user, create_tenant
from core.runtime import Runtime
from schema.builder import build_schema

PAGE = 50
QUERY = ("{ users(first: 50) { edges { node { id email name roles { name } } } "
         "pageInfo { hasNextPage endCursor } } }")
USER_COLUMNS = ("u.id, u.email, u.name, u.password_hash, u.locale, u.is_active, u.created_at, "
                "u.last_login_at")  # what `User.filter(...)` selects


# ---------------------------------------------------------------------------------------------
# Raw SQL


class Sql:
    """The page's SQL, spelled for the running dialect (`?` for SQLite, `$n` for PostgreSQL)."""

    def __init__(self, dialect: str, tenant_id: int):
        self.pg = dialect == "postgres"
        self.tenant_id = tenant_id
        self.conn = connections.get("default")

    def _ph(self, n: int, start: int = 1) -> list[str]:
        return placeholders(self.pg, n, start)

    async def users_page(self) -> list[Any]:
        t, limit = self._ph(2)
        sql = (f"SELECT {USER_COLUMNS} FROM core_user u "  # noqa: S608 - constants and placeholders only
               f"JOIN core_membership m ON m.user_id = u.id "
               f"WHERE m.tenant_id = {t} ORDER BY u.email ASC, u.id ASC LIMIT {limit}")
        _, rows = await self.conn.execute_query(sql, [self.tenant_id, PAGE + 1])
        return list(rows)

    async def role_lookup(self, user_ids: Sequence[int]) -> list[Any]:
        dom, *subjects = self._ph(1 + len(user_ids))
        sql = ("SELECT v0, v1 FROM core_policy "  # noqa: S608 - constants and placeholders only
               f"WHERE ptype = 'g' AND domain = {dom} AND v0 IN ({', '.join(subjects)})")
        _, rows = await self.conn.execute_query(
            sql, [domain(self.tenant_id), *(user_subject(u) for u in user_ids)])
        return list(rows)

    async def visible_roles(self) -> list[Any]:
        (t,) = self._ph(1)
        sql = ("SELECT id, tenant_id, name, description, module, created_at FROM core_role "  # noqa: S608
               f"WHERE tenant_id = {t} OR tenant_id IS NULL")
        _, rows = await self.conn.execute_query(sql, [self.tenant_id])
        return list(rows)

    async def membership(self, user_id: int) -> list[Any]:
        u, t = self._ph(2)
        true = "true" if self.pg else "1"
        sql = ("SELECT 1 FROM core_membership m JOIN core_user u ON u.id = m.user_id "  # noqa: S608
               f"WHERE m.user_id = {u} AND m.tenant_id = {t} AND m.is_active = {true} "
               f"AND u.is_active = {true} LIMIT 1")
        _, rows = await self.conn.execute_query(sql, [user_id, self.tenant_id])
        return list(rows)

    async def page(self) -> int:
        """The page: 51 users, then their roles. Returns the number of users."""
        rows = await self.users_page()
        ids = [int(r["id"]) for r in rows[:PAGE]]
        await self.role_lookup(ids)
        return len(rows)

    async def everything(self, caller: int) -> int:
        """Every query the HTTP request issues: membership, users, roles (g rows and core_role)."""
        await self.membership(caller)
        n = await self.page()
        await self.visible_roles()
        return n


# ---------------------------------------------------------------------------------------------
# Set-up


async def seed(rt: Runtime, members: int) -> tuple[int, int, str]:
    """A tenant with `members` members plus its admin, and a second tenant of 200 members."""
    tenant = await create_tenant("bench", "Bench merchant")
    admin = await add_user(tenant.id, "admin@bench.test", "Admin", PASSWORD)
    await assign_role_by_name(tenant.id, admin.id, "admin")
    roles = ("agent", "supervisor", "admin")
    for i in range(members):
        user = await add_user(tenant.id, f"member{i:04}@bench.test", f"Member {i}", None)
        await assign_role_by_name(tenant.id, user.id, roles[i % 3])
        if i % 4 == 0:
            await assign_role_by_name(tenant.id, user.id, roles[(i + 1) % 3])
    other = await create_tenant("other", "Other merchant")
    for i in range(200):
        user = await add_user(other.id, f"other{i:04}@bench.test", f"Other {i}", None)
        await assign_role_by_name(other.id, user.id, "agent")
    rt.access.invalidate(None)
    return tenant.id, admin.id, "bench"


# ---------------------------------------------------------------------------------------------
# The run


async def run(args: argparse.Namespace) -> int:
    requests = 100 if args.quick and not args.requests else (args.requests or 1_000)
    print_header("api_overhead")
    async with running_app(args.postgres) as bench:
        rt: Runtime = bench.rt
        dialect = bench.dialect
        tenant_id, admin_id, slug = await seed(rt, args.members)
        print(f"database: {dialect} ({bench.services}); "
              f"tenant with {args.members + 1} members; set up in {time.perf_counter() - bench.started:.1f} s")
        headers = await bench.login("admin@bench.test", slug)

        async def http() -> dict[str, Any]:
            return await bench.graphql(QUERY, headers)

        schema = build_schema(rt.modules, rt.settings)

        async def in_process() -> Any:
            ctx = Context(request=None, rt=rt, locale="en",
                          principal=Principal(admin_id, tenant_id))
            return await schema.execute(QUERY, context_value=ctx)

        sql = Sql(dialect, tenant_id)

        # Check that the API and the SQL describe the same page.
        body = await http()
        assert not body.get("errors"), body
        page = body["data"]["users"]
        emails = [e["node"]["email"] for e in page["edges"]]
        rows = await sql.users_page()
        assert emails == [r["email"] for r in rows[:PAGE]], "the SQL page differs from the API's"
        assert page["pageInfo"]["hasNextPage"] == (len(rows) > PAGE)
        assert len(emails) == PAGE
        direct = await in_process()
        assert direct.errors is None, direct.errors
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
            ns, n = await timed(sql.page)
            assert n == PAGE + 1
            series["page"].samples_ns.append(ns)
            ns, _ = await timed(lambda: sql.everything(admin_id))
            series["all"].samples_ns.append(ns)

        for _ in range(args.warmup):
            await http()
            await in_process()
            await sql.everything(admin_id)

        if args.gc_freeze:
            gc.collect()
            gc.freeze()  # what start-up built (schema, models) is no longer scanned
        series = {k: Series(k, []) for k in ("http", "graphql", "page", "all")}
        watch = GcWatch()
        with watch:
            for _ in range(requests):
                await one_round(series)

    http_s, page_s = series["http"], series["page"]
    labels = {
        "http": "HTTP request (httpx ASGI transport, whole stack)",
        "graphql": "GraphQL in-process (schema.execute, no HTTP/auth)",
        "page": "SQL: users page + role lookup (2 queries)",
        "all": "SQL: every query the request issues (4)",
    }
    print(f"\n{requests} rounds after {args.warmup} warm-up rounds; {dialect}; "
          f"{'gc.freeze() after warm-up; ' if args.gc_freeze else ''}"
          f"during the timed rounds: {watch.summary()}\n")
    print_table(series, labels)
    print(f"\nratio HTTP / SQL page: p50 {http_s.pct(50) / page_s.pct(50):.1f}x, "
          f"p99 {http_s.pct(99) / page_s.pct(99):.1f}x")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--postgres", action="store_true",
                        help=f"PostgreSQL (a fresh database on {PG_ADMIN_DSN.rsplit('/', 1)[0]}, "
                             f"dropped after) and Redis at {REDIS_URL}")
    parser.add_argument("--quick", action="store_true", help="100 rounds")
    parser.add_argument("--requests", type=int, default=0, help="timed rounds (default 1,000)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--members", type=int, default=64, help="members of the tenant besides its admin")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after the warm-up, so full collections skip start-up objects")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL of one HTTP request")
    args = parser.parse_args(argv)
    if args.members < PAGE + 10:
        parser.error(f"--members must be at least {PAGE + 10}: the page needs a next page")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
