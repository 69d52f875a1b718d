"""No statement of a list page plans a sequential scan of a table (PostgreSQL's planner, with
sequential scans priced out, still chooses one only when no index serves the query at all): at a
seller's size a page that scans a table is 40 times its SQL. The pages and data are those of
tests/test_list_statements.py; each statement is EXPLAINed with the values it ran with. That the
keys a page looks up by have their own index (not only the tenant's) is tests/test_indexes.py."""

from __future__ import annotations

import re

import pytest
from tortoise.transactions import in_transaction

from tests.conftest import BACKEND, Api, TenantFixture
from tests.querycount import record_queries
from tests.test_list_statements import LISTS, demo  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's planner: runs in the PostgreSQL suite")
SCAN = re.compile(r"Seq Scan on (\w+)")


async def test_no_list_page_scans_a_table(api: Api, demo: TenantFixture) -> None:  # noqa: F811
    scans: dict[str, set[str]] = {}
    explained = 0
    for name, query in LISTS.items():
        await api.data(query, {"n": 100}, token=demo.token)  # warm: the tenant's policy
        with record_queries() as statements:
            await api.data(query, {"n": 100}, token=demo.token)
        async with in_transaction() as conn:
            await conn.execute_script("SET LOCAL enable_seqscan = off")
            for sql, values in statements:
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                _, rows = await conn.execute_query(f"EXPLAIN {sql}", list(values or []))
                explained += 1
                plan = "\n".join(str(r[0]) for r in rows)
                for table in SCAN.findall(plan):
                    scans.setdefault(name, set()).add(table)
    assert explained >= 4 * len(LISTS), explained  # the pages' statements were seen
    assert scans == {}, f"statements that scan a whole table, by page: {scans}"
    # The check itself: a filter no index serves is reported even with sequential scans priced out.
    async with in_transaction() as conn:
        await conn.execute_script("SET LOCAL enable_seqscan = off")
        _, rows = await conn.execute_query("EXPLAIN SELECT id FROM crm_customer WHERE last_name = $1", ["x"])
    assert SCAN.findall("\n".join(str(r[0]) for r in rows)) == ["crm_customer"]
