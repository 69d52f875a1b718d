"""Bulk import throughput: `sellercare import` against raw asyncpg COPY of the same rows.

Generates N customers and 3N orders as CSV in a temporary directory (default 100,000 / 300,000;
`--quick`: 10,000 / 30,000), then, in one process and one run:
- PostgreSQL, a fresh database `sellercare_bench_import_<pid>` on postgres://postgres@127.0.0.1:5432
  (dropped afterwards): `run_import` of customers (with --channel: customer, 2 contacts and an
  identity per row) then orders, validation, encryption and blind indexes included; then the same
  rows, already validated and encrypted outside the clock, written with `copy_records_to_table`
  straight into the same tables for another tenant (the floor: no validation, no staging, no
  look-ups). Ratio = our rows/s divided by raw COPY rows/s (goal: at least 40%).
- SQLite: the same two imports into a fresh file.

    .venv/bin/python bench/import.py [--quick] [--customers N] [--batch-size N] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
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
from core.crypto import cipher  # noqa: E402
from core.crypto import configure as configure_crypto  # noqa: E402
from core.db import close_db, init_db  # noqa: E402
from core.identity import create_tenant  # noqa: E402
from core.registry import Registry  # noqa: E402
from core.runtime import installed_modules  # noqa: E402
from core.settings import Settings  # noqa: E402
from modules.crm.services.contacts import contact_hash  # noqa: E402
from modules.crm.services.importer import ImportOptions, run_import  # noqa: E402
from modules.crm.services.importer import customers as cust  # noqa: E402
from modules.crm.services.importer import orders as ords  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402

COUNTRIES = [("DE", "EUR", "de-DE"), ("ES", "EUR", "es-ES"), ("US", "USD", "en-US"), ("JP", "JPY", "ja-JP")]
BASE = datetime(2025, 1, 1, tzinfo=UTC)


def generate(folder: Path, n: int, start: int = 0) -> tuple[Path, Path]:
    """n customers and 3n orders, numbered from `start` (a second file continues the first)."""
    customers, orders = folder / f"customers{start}.csv", folder / f"orders{start}.csv"
    with customers.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "email", "phone", "first_name", "last_name", "country", "language", "currency",
                    "tier"])
        for i in range(start, start + n):
            country, currency, lang = COUNTRIES[i % 4]
            w.writerow([f"C{i}", f"Customer.{i}@Example.com", f"+4915112{i % 1_000_000:06d}", f"First{i}",
                        f"Last{i % 997}", country, lang, currency, ("standard", "silver", "gold", "vip")[i % 4]])
    with orders.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "number", "customer_external_id", "status", "currency", "total", "subtotal",
                    "shipping", "tax", "placed_at", "paid_at", "carrier", "tracking_number"])
        for j in range(3 * start, 3 * (start + n)):
            i = start + j % n
            _, currency, _ = COUNTRIES[i % 4]
            amount = f"{1000 + j % 50_000}" if currency == "JPY" else f"{10 + j % 500}.{j % 100:02d}"
            placed = BASE + timedelta(minutes=j)
            w.writerow([f"O{j}", f"{100000 + j}", f"C{i}", "paid", currency, amount, amount, "0", "0",
                        placed.isoformat(), (placed + timedelta(minutes=5)).isoformat(), "DHL", f"TRK{j}"])
    return customers, orders


async def start(url: str, var: Path) -> int:
    env = {"SELLERCARE_ENV": "test", "SECRET_KEY": "b" * 48, "SELLERCARE_VAR_DIR": str(var), "DATABASE_URL": url}
    settings = Settings.from_env(env)
    await lifecycle.migrate_all(settings, Registry.discover())
    configure_crypto(settings)
    await init_db(url, [])
    modules = await installed_modules(Registry.discover())
    await close_db()
    await init_db(url, modules)
    return 0


async def timed_import(kind: str, path: Path, slug: str, batch: int) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = await run_import(ImportOptions(kind, path, slug, channel="Bench", batch_size=batch))
    return time.perf_counter() - t0, result.counts


async def raw_copy(customers: Path, orders: Path, tenant_id: int) -> tuple[float, float, int]:
    """COPY the same rows, prepared outside the clock, into the same tables; returns seconds."""
    client: Any = connections.get("default")
    now = datetime.now(UTC)
    enc = cipher().encrypt
    async with client.acquire_connection() as conn:
        channel = await conn.fetchval("INSERT INTO crm_channel (tenant_id, platform, name, order_number_format, "
                                      "created_at) VALUES ($1, 'manual', 'Raw', '', now()) RETURNING id", tenant_id)
        seq = "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)"
        rows = list(csv.DictReader(customers.open()))
        cids = [r[0] for r in await conn.fetch(seq, "crm_customer", len(rows))]
        ids = iter(r[0] for r in await conn.fetch(seq, "crm_contact", 2 * len(rows)))
        iids = [r[0] for r in await conn.fetch(seq, "crm_identity", len(rows))]
        c_rec, k_rec, i_rec, by_ext = [], [], [], {}
        for cid, iid, r in zip(cids, iids, rows, strict=True):
            email = r["email"].lower()
            c_rec.append((cid, tenant_id, r["first_name"], r["last_name"], f"{r['first_name']} {r['last_name']}",
                          r["country"], r["language"], r["currency"], False, "", r["tier"], "new", None, "{}",
                          now, now))
            k_rec.append((next(ids), tenant_id, cid, "email", enc(email), contact_hash("email", email), True, now))
            k_rec.append((next(ids), tenant_id, cid, "phone", enc(r["phone"]), contact_hash("phone", r["phone"]),
                          True, now))
            i_rec.append((iid, tenant_id, cid, channel, r["external_id"]))
            by_ext[r["external_id"]] = cid
        orows = list(csv.DictReader(orders.open()))
        oids = [r[0] for r in await conn.fetch(seq, "crm_order", len(orows))]
        o_rec = []
        for oid, r in zip(oids, orows, strict=True):
            scale = 1 if r["currency"] == "JPY" else 100
            total = round(float(r["total"]) * scale)
            o_rec.append((oid, tenant_id, channel, r["external_id"], by_ext[r["customer_external_id"]], r["number"],
                          r["status"], r["currency"], total, 0, 0, 0, total, datetime.fromisoformat(r["placed_at"]),
                          datetime.fromisoformat(r["paid_at"]), None, None, r["carrier"], r["tracking_number"]))
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("crm_customer", records=c_rec, columns=list(cust.CUSTOMER))
            await conn.copy_records_to_table("crm_contact", records=k_rec, columns=list(cust.CONTACT))
            await conn.copy_records_to_table("crm_identity", records=i_rec, columns=list(cust.IDENTITY))
        t1 = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("crm_order", records=o_rec, columns=list(ords.ORDER))
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, len(o_rec)


def line(label: str, rows: int, seconds: float, floor: float | None = None) -> str:
    ratio = f"  {rows / seconds / (rows / floor) * 100:5.1f}% of raw COPY" if floor else ""
    return f"  {label:<34} {rows:>9,} rows {seconds:8.2f} s {rows / seconds:>10,.0f} rows/s{ratio}"


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="10,000 customers and 30,000 orders")
    p.add_argument("--customers", type=int)
    p.add_argument("--batch-size", type=int, default=2000)
    p.add_argument("--no-sqlite", action="store_true")
    args = p.parse_args()
    n = args.customers or (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        customers, orders = generate(folder, n)
        print(f"generated {n:,} customers and {3 * n:,} orders in {time.perf_counter() - t0:.1f} s "
              f"({(customers.stat().st_size + orders.stat().st_size) >> 20} MB of CSV)")
        name = f"sellercare_bench_import_{os.getpid()}"
        url = await create_pg_database(name)
        try:
            await start(url, folder)
            ours = await create_tenant("bench", "Bench")
            raw = await create_tenant("raw", "Raw")
            c_s, c_counts = await timed_import("customers", customers, ours.slug, args.batch_size)
            o_s, o_counts = await timed_import("orders", orders, ours.slug, args.batch_size)
            assert c_counts.created == n and o_counts.created == 3 * n, (c_counts, o_counts)
            rc_s, ro_s, _ = await raw_copy(customers, orders, raw.id)
            print(f"PostgreSQL (batch {args.batch_size}):")
            print(line("import customers (+contacts, ids)", n, c_s, rc_s))
            print(line("import orders", 3 * n, o_s, ro_s))
            print(line("import, both", 4 * n, c_s + o_s, rc_s + ro_s))
            print(line("raw COPY customers (+contacts, ids)", n, rc_s))
            print(line("raw COPY orders", 3 * n, ro_s))
            r_s, r_counts = await timed_import("customers", customers, ours.slug, args.batch_size)
            assert r_counts.unchanged == n, r_counts
            print(line("re-run customers (all unchanged)", n, r_s))
            # The rate as the tables grow: the next n customers and 3n orders into the same tenant.
            customers2, orders2 = generate(folder, n, start=n)
            c2_s, c2 = await timed_import("customers", customers2, ours.slug, args.batch_size)
            o2_s, o2 = await timed_import("orders", orders2, ours.slug, args.batch_size)
            assert c2.created == n and o2.created == 3 * n, (c2, o2)
            for label, rows, first_s, next_s in (("the next customers (tables grown)", n, c_s, c2_s),
                                                 ("the next orders (tables grown)", 3 * n, o_s, o2_s)):
                print(line(label, rows, next_s) + f"  {first_s / next_s * 100:5.1f}% of the first's rate")
        finally:
            await close_db()
            await drop_pg_database(name)
        if not args.no_sqlite:
            await start(f"sqlite://{folder / 'bench.sqlite3'}", folder)
            try:
                ours = await create_tenant("bench", "Bench")
                c_s, c_counts = await timed_import("customers", customers, ours.slug, args.batch_size)
                o_s, o_counts = await timed_import("orders", orders, ours.slug, args.batch_size)
                assert c_counts.created == n and o_counts.created == 3 * n, (c_counts, o_counts)
                print("SQLite:")
                print(line("import customers (+contacts, ids)", n, c_s))
                print(line("import orders", 3 * n, o_s))
                print(line("import, both", 4 * n, c_s + o_s))
            finally:
                await close_db()


if __name__ == "__main__":
    asyncio.run(main())
