"""The SLA breach scan's range query over 1,000,000 open tickets, with and without its index.

In a fresh PostgreSQL database `sellercare_bench_sla_<pid>` on postgres://postgres@127.0.0.1:5432
(dropped afterwards): N open tickets (default 1,000,000; `--tickets`) over 10 tenants, inserted
server-side with generate_series, `next_sla_due` spread over 30 days from a day ago (about 3% due
now). Then, in the same run:
- the scan's first batch (`services.sla.escalation.due_batch`, through tortoise: ORDER BY next_sla_due,
  id LIMIT 500), and every due ticket walked by keyset: through tortoise (due_batch) and in raw SQL;
- the same SQL with EXPLAIN ANALYZE, once as is (an Index Scan on the next_sla_due index) and once
  with enable_indexscan, enable_bitmapscan and enable_indexonlyscan off (the baseline: a full
  scan); the ratios are baseline / indexed.

    .venv/bin/python bench/sla_scan.py [--tickets N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise import connections

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import lifecycle  # noqa: E402
from core.db import close_db, init_db  # noqa: E402
from core.identity import create_tenant  # noqa: E402
from core.registry import Registry  # noqa: E402
from core.runtime import installed_modules  # noqa: E402
from core.settings import Settings  # noqa: E402
from modules.aftersales.services.sla.escalation import BATCH, due_batch  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402

TENANTS = 10
SPREAD_MINUTES = 30 * 24 * 60
FIRST_BATCH = ("SELECT id, tenant_id, next_sla_due, sla_breached FROM aftersales_ticket WHERE next_sla_due <= $1 "
               "ORDER BY next_sla_due, id LIMIT $2")
NEXT_BATCH = ("SELECT id, tenant_id, next_sla_due, sla_breached FROM aftersales_ticket WHERE next_sla_due <= $1 "
              "AND next_sla_due >= $3 AND (next_sla_due > $3 OR id > $4) ORDER BY next_sla_due, id LIMIT $2")
NO_INDEX = ("SET enable_indexscan = off", "SET enable_bitmapscan = off", "SET enable_indexonlyscan = off")


async def start(url: str, var: Path) -> None:
    env = {"SELLERCARE_ENV": "test", "SECRET_KEY": "b" * 48, "SELLERCARE_VAR_DIR": str(var), "DATABASE_URL": url}
    await lifecycle.migrate_all(Settings.from_env(env), Registry.discover())
    await init_db(url, [])
    modules = await installed_modules(Registry.discover())
    await close_db()
    await init_db(url, modules)


async def fill(conn: Any, n: int, now: datetime) -> float:
    tenant_ids = [(await create_tenant(f"sla-{i}", f"SLA {i}")).id for i in range(TENANTS)]
    t0 = time.perf_counter()
    await conn.execute(
        """INSERT INTO aftersales_ticket (tenant_id, number, type, channel, subject, language, status, priority,
               priority_overridden, created_at, updated_at, resolution_due, next_sla_due, sla_breached,
               escalation_level)
           SELECT ($1::bigint[])[1 + i % $2], i::int, 'inquiry', 'email', 'Ticket ' || i, 'en', 'open', 'normal',
                  false, $3::timestamptz - interval '2 days', $3::timestamptz,
                  $3::timestamptz - interval '1 day' + ((i * 7919) % $4) * interval '1 minute',
                  $3::timestamptz - interval '1 day' + ((i * 7919) % $4) * interval '1 minute', false, 0
           FROM generate_series(1::bigint, $5::bigint) AS i""",
        tenant_ids, TENANTS, now, SPREAD_MINUTES, n)
    await conn.execute("ANALYZE aftersales_ticket")
    return time.perf_counter() - t0


async def walk(conn: Any, horizon: datetime) -> int:
    """Every due ticket, batch after batch by keyset, as the scan reads them."""
    rows = await conn.fetch(FIRST_BATCH, horizon, BATCH)
    seen = len(rows)
    while len(rows) == BATCH:
        rows = await conn.fetch(NEXT_BATCH, horizon, BATCH, rows[-1]["next_sla_due"], rows[-1]["id"])
        seen += len(rows)
    return seen


async def walk_orm(horizon: datetime) -> int:
    rows = await due_batch(horizon, None)
    seen = len(rows)
    while len(rows) == BATCH:
        rows = await due_batch(horizon, (rows[-1]["next_sla_due"], rows[-1]["id"]))
        seen += len(rows)
    return seen


async def timed(repeat: int, call: Any) -> tuple[float, Any]:
    """Median seconds over `repeat` runs (after one warm-up run) and the last result."""
    result = await call()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = await call()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), result


async def explain(conn: Any, horizon: datetime) -> str:
    plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + FIRST_BATCH, horizon, BATCH)
    return "\n".join("    " + r[0] for r in plan)


async def measure(conn: Any, horizon: datetime, repeat: int) -> dict[str, Any]:
    first, rows = await timed(repeat, lambda: conn.fetch(FIRST_BATCH, horizon, BATCH))
    whole, count = await timed(max(1, repeat // 5), lambda: walk(conn, horizon))
    return {"first": first, "rows": len(rows), "walk": whole, "due": count, "plan": await explain(conn, horizon)}


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()
    name = f"sellercare_bench_sla_{os.getpid()}"
    url = await create_pg_database(name)
    now = datetime.now(UTC)
    horizon = now + timedelta(minutes=60)  # the widest "due soon" window of the rules: an hour
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await start(url, Path(tmp))
            client: Any = connections.get("default")
            async with client.acquire_connection() as conn:
                fill_s = await fill(conn, args.tickets, now)
            print(f"inserted {args.tickets:,} open tickets in {fill_s:.1f} s (generate_series, then ANALYZE)")
            orm, orm_rows = await timed(args.repeat, lambda: due_batch(horizon, None))
            orm_walk, orm_due = await timed(max(1, args.repeat // 5), lambda: walk_orm(horizon))
            async with client.acquire_connection() as conn:
                # Plan every execution with the settings of the moment: a generic plan cached by a
                # prepared statement during the indexed run would otherwise be reused by the baseline.
                await conn.execute("SET plan_cache_mode = force_custom_plan")
                indexed = await measure(conn, horizon, args.repeat)
                async with conn.transaction():
                    for setting in NO_INDEX:
                        await conn.execute(setting.replace("SET", "SET LOCAL"))
                    baseline = await measure(conn, horizon, args.repeat)
    finally:
        await close_db()
        await drop_pg_database(name)
    assert indexed["due"] == baseline["due"] == orm_due and indexed["rows"] == baseline["rows"] == len(orm_rows)
    print(f"due by now + 60 min: {indexed['due']:,} of {args.tickets:,} tickets; batch {BATCH}")
    print(f"first batch via tortoise (due_batch): {orm * 1000:8.2f} ms  (median of {args.repeat})")
    print(f"first batch, indexed:                 {indexed['first'] * 1000:8.2f} ms")
    print(f"first batch, no index (baseline):     {baseline['first'] * 1000:8.2f} ms   "
          f"ratio {baseline['first'] / indexed['first']:.1f}x")
    print(f"all due tickets via tortoise:         {orm_walk * 1000:8.2f} ms")
    print(f"all due tickets by keyset, indexed:   {indexed['walk'] * 1000:8.2f} ms "
          f"({indexed['due'] // BATCH + 1} batches)")
    print(f"all due tickets, no index (baseline): {baseline['walk'] * 1000:8.2f} ms   "
          f"ratio {baseline['walk'] / indexed['walk']:.1f}x")
    print("EXPLAIN ANALYZE, indexed:")
    print(indexed["plan"])
    print("EXPLAIN ANALYZE, index scans off (baseline):")
    print(baseline["plan"])


if __name__ == "__main__":
    asyncio.run(main())
