"""`sellercare import customers|orders`: the real CLI in subprocesses, on a fresh database of the
suite's backend (SELLERCARE_TEST_DB: a SQLite file or a PostgreSQL database). This process reads the database with
its own driver (sqlite3 / asyncpg), never through tortoise (tortoise's state is per process)."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sqlite3
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import openpyxl
import pytest

from tests.conftest import BACKEND, create_pg_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER_HEADER = ["external_id", "email", "phone", "first_name", "last_name", "country", "language", "currency",
                   "tier"]
ORDER_HEADER = ["external_id", "number", "customer_external_id", "customer_email", "status", "currency", "total",
                "subtotal", "shipping", "tax", "discount", "placed_at", "paid_at", "carrier", "tracking_number"]


@dataclass
class Db:
    backend: str
    url: str
    var: Path

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SELLERCARE_", "TEST_")) and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
        env.update({"SELLERCARE_VAR_DIR": str(self.var), "DATABASE_URL": self.url, "SELLERCARE_ENV": "development",
                    "PYTHONPATH": str(ROOT), **extra})
        return subprocess.run([sys.executable, "-m", "scripts.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            with closing(sqlite3.connect(self.url.removeprefix("sqlite://"))) as conn:
                return [tuple(r) for r in conn.execute(sql, args).fetchall()]
        parts = sql.split("?")
        text = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))

        async def fetch() -> list[tuple[Any, ...]]:
            conn = await asyncpg.connect(self.url)
            try:
                return [tuple(r) for r in await conn.fetch(text, *args)]
            finally:
                await conn.close()

        return asyncio.run(fetch())

    def count(self, table: str, tenant: int) -> int:
        return int(self.rows(f"SELECT COUNT(*) FROM {table} WHERE tenant_id = ?", tenant)[0][0])  # noqa: S608

    def tenant(self) -> tuple[str, int]:
        slug = f"imp-{uuid.uuid4().hex[:8]}"
        done = self.run("tenants", "create", slug, "Importer")
        assert done.returncode == 0, done.stderr
        return slug, int(self.rows("SELECT id FROM core_tenant WHERE slug = ?", slug)[0][0])

    def import_(self, kind: str, path: Path, slug: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run("import", kind, str(path), "--tenant", slug, *args, **env)


@pytest.fixture(scope="module", params=[BACKEND])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    var = tmp_path_factory.mktemp(f"import_{request.param}")
    name = f"sellercare_import_{os.getpid()}"
    if request.param == "sqlite":
        database = Db("sqlite", f"sqlite://{var / 'import.sqlite3'}", var)
    else:
        database = Db("postgres", asyncio.run(create_pg_database(name)), var)
    try:
        migrated = database.run("migrate")
        assert migrated.returncode == 0, migrated.stderr
        yield database
    finally:
        if request.param == "postgres":
            asyncio.run(drop_pg_database(name))


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    line = next(x for x in result.stdout.splitlines() if " rows: " in x)
    parts = line.split(" rows: ", 1)[1].split(" (")[0].split(", ")
    return {p.split()[1]: int(p.split()[0]) for p in parts}


def counts(created: int = 0, updated: int = 0, unchanged: int = 0, skipped: int = 0, failed: int = 0) -> dict[str, int]:
    return {"created": created, "updated": updated, "unchanged": unchanged, "skipped": skipped, "failed": failed}


CUSTOMERS = [
    ["C1", "Jonas.Weber@Example.DE", "0151 12345678", "Jonas", "Weber", "de", "de_de", "eur", "gold"],
    ["C2", "maria@example.es", "+34612345678", "María", "García", "ES", "es-ES", "EUR", ""],
    ["C3", "yuki@example.jp", "", "Yuki", "Tanaka", "JP", "ja", "JPY", "vip"],
    ["", "emily@example.com", "", "Emily", "Clark", "US", "", "", ""],
    ["C5", "not-an-email", "12", '=HYPERLINK("http://evil.test","click")', "X", "XX", "", "", "platinum"],
]
ORDERS = [
    ["O1", "1001", "C1", "", "paid", "EUR", "129.00", "120.00", "9.00", "0", "0", "2026-01-02T10:00:00+01:00",
     "2026-01-02T10:05:00Z", "DHL", "00340434"],
    ["O2", "1002", "", "emily@example.com", "delivered", "USD", "10", "", "", "", "", "2026-01-03", "", "", ""],
    ["O3", "1003", "C3", "", "pending", "JPY", "1590", "", "", "", "", "2026-01-04 08:00", "", "", ""],
    ["O4", "1004", "C9", "", "paid", "EUR", "1.999", "", "", "", "", "yesterday", "", "", ""],
]


def test_customers_then_orders_are_imported_idempotently(db: Db, tmp_path: Path) -> None:
    slug, tid = db.tenant()
    customers = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, CUSTOMERS, delimiter=";")
    report = tmp_path / "errors.xlsx"
    first = db.import_("customers", customers, slug, "--channel", "Shopify EU", "--errors", str(report))
    assert first.returncode == 1, first.stderr
    assert summary(first) == counts(created=4, failed=1)
    assert "Traceback" not in first.stderr
    for secret in ("jonas", "maria@", "12345678", "emily"):
        assert secret not in (first.stdout + first.stderr).lower()
    assert db.count("crm_customer", tid) == 4
    raw = db.rows("SELECT kind, value, value_hash FROM crm_contact WHERE tenant_id = ?", tid)
    assert len(raw) == 6 and all(v.startswith("v1.") and len(h) == 64 for _, v, h in raw)
    assert not any("example" in v or "12345678" in v for _, v, _ in raw)
    identities = db.rows("SELECT i.external_id, c.name FROM crm_identity i JOIN crm_channel c ON c.id = i.channel_id "
                         "WHERE i.tenant_id = ? ORDER BY i.external_id", tid)
    assert identities == [("C1", "Shopify EU"), ("C2", "Shopify EU"), ("C3", "Shopify EU")]
    jonas = db.rows("SELECT first_name, display_name, country, language, currency, tier FROM crm_customer "
                    "WHERE tenant_id = ? AND last_name = 'Weber'", tid)
    assert jonas == [("Jonas", "Jonas Weber", "DE", "de-DE", "EUR", "gold")]
    # The error report: the original row as it was, and why; a formula-looking cell stays text.
    sheet = openpyxl.load_workbook(report).worksheets[0]
    table = [[c.value for c in r] for r in sheet.iter_rows()]
    assert table[0] == ["row", *CUSTOMER_HEADER, "reason"]
    assert len(table) == 2 and table[1][0] == 6 and table[1][1:10] == CUSTOMERS[4]
    assert "INVALID_EMAIL" in table[1][10] and "INVALID_COUNTRY" in table[1][10] and "tier" in table[1][10]
    assert sheet.cell(2, 5).data_type == "s" and sheet.cell(2, 5).value.startswith("=HYPERLINK")

    again = db.import_("customers", customers, slug, "--channel", "Shopify EU")
    assert summary(again) == counts(unchanged=4, failed=1)
    assert db.count("crm_customer", tid) == 4 and db.count("crm_contact", tid) == 6

    changed = [list(r) for r in CUSTOMERS[:4]]
    changed[0][8] = "vip"
    changed[1][2] = "+34699999999"
    changed_file = write_csv(tmp_path / "changed.csv", CUSTOMER_HEADER, changed)
    assert summary(db.import_("customers", changed_file, slug, "--channel", "Shopify EU")) == counts(
        unchanged=2, skipped=2)
    assert db.rows("SELECT tier FROM crm_customer WHERE tenant_id = ? AND last_name = 'Weber'", tid) == [("gold",)]
    updated = db.import_("customers", changed_file, slug, "--channel", "Shopify EU", "--on-conflict", "update")
    assert summary(updated) == counts(updated=2, unchanged=2)
    assert db.rows("SELECT tier FROM crm_customer WHERE tenant_id = ? AND last_name = 'Weber'", tid) == [("vip",)]
    assert db.count("crm_contact", tid) == 7 and db.count("crm_customer", tid) == 4

    orders = write_csv(tmp_path / "orders.csv", ORDER_HEADER, ORDERS)
    dry = db.import_("orders", orders, slug, "--channel", "Shopify EU", "--dry-run")
    assert summary(dry) == counts(created=3, failed=1) and "nothing was written" in dry.stdout
    assert db.count("crm_order", tid) == 0
    imported = db.import_("orders", orders, slug, "--channel", "Shopify EU")
    assert summary(imported) == counts(created=3, failed=1)
    got = db.rows("SELECT external_id, number, status, currency, total, subtotal, shipping, carrier FROM crm_order "
                  "WHERE tenant_id = ? ORDER BY external_id", tid)
    assert got == [("O1", "1001", "paid", "EUR", 12900, 12000, 900, "DHL"),
                   ("O2", "1002", "delivered", "USD", 1000, 0, 0, ""),
                   ("O3", "1003", "pending", "JPY", 1590, 0, 0, "")]
    assert summary(db.import_("orders", orders, slug, "--channel", "Shopify EU")) == counts(unchanged=3, failed=1)
    bumped = [list(r) for r in ORDERS[:3]]
    bumped[0][4] = "shipped"
    bumped_file = write_csv(tmp_path / "bumped.csv", ORDER_HEADER, bumped)
    assert summary(db.import_("orders", bumped_file, slug, "--channel", "Shopify EU")) == counts(
        unchanged=2, skipped=1)
    assert summary(db.import_("orders", bumped_file, slug, "--channel", "Shopify EU", "--on-conflict", "update")) \
        == counts(updated=1, unchanged=2)
    assert db.rows("SELECT status FROM crm_order WHERE tenant_id = ? AND external_id = 'O1'", tid) == [("shipped",)]
    assert db.count("crm_order", tid) == 3

    audit = db.rows("SELECT actor_id, via, object_id, after FROM core_audit_entry WHERE tenant_id = ? "
                    "AND action = 'crm.import' ORDER BY id", tid)
    assert len(audit) == 8  # every run but the dry one
    assert audit[0][:3] == (None, "script", "customers")
    after = audit[0][3] if isinstance(audit[0][3], dict) else json.loads(audit[0][3])
    assert after["created"] == 4 and after["failed"] == 1
    assert "example" not in str(audit) and "12345678" not in str(audit)


def test_xlsx_is_imported_and_dry_run_writes_nothing(db: Db, tmp_path: Path) -> None:
    slug, tid = db.tenant()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email", "First Name", "Country", "Phone"])
    sheet.append(["ana@example.pt", "Ana", "PT", 912345678])
    sheet.append(["bo@example.se", "Bo", "SE", None])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    dry = db.import_("customers", path, slug, "--dry-run")
    assert dry.returncode == 0 and summary(dry) == counts(created=2)
    assert db.count("crm_customer", tid) == 0 and db.count("core_audit_entry", tid) == 0
    done = db.import_("customers", path, slug)
    assert done.returncode == 0, done.stderr
    assert summary(done) == counts(created=2) and db.count("crm_contact", tid) == 3
    assert summary(db.import_("customers", path, slug)) == counts(unchanged=2)


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            chunk = b" " * (1 << 20)
            for _ in range(64):
                f.write(chunk)
    return path


def test_bad_files_are_refused_whole_and_write_nothing(db: Db, tmp_path: Path) -> None:
    slug, tid = db.tenant()
    good_rows = [[f"c{i}@example.com", "Name"] for i in range(50)]
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"email,first_name\n" + b"".join(f"{e},{n}\n".encode() for e, n in good_rows)
                       + "x@example.com,Ren\xe9e\n".encode("latin-1"))
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["email"] + [f"col{i}" for i in range(10_000)]) + "\n" + "a@b.test\n")
    colon = tmp_path / "colon.csv"
    colon.write_text("email:first_name\na@example.com:Ann\n")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("email,first_name\na@example.com,Ann\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    unknown = write_csv(tmp_path / "unknown.csv", ["email", "shoe_size"], [["a@example.com", "42"]])
    missing = write_csv(tmp_path / "missing.csv", ["external_id", "total"], [["O1", "1"]])
    cases = {
        empty: "The file is empty.",
        broken: "not valid UTF-8",
        colon: "separate them with a comma",
        wide: "10001 columns; at most 500",
        _zip_bomb(tmp_path / "bomb.xlsx"): "possible ZIP bomb",
        fake: "not an XLSX workbook",
        unknown: "Unknown column(s): 'shoe_size'",
    }
    for path, message in cases.items():
        result = db.import_("customers", path, slug, "--channel", "Web")
        assert result.returncode == 2, (path.name, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (path.name, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    result = db.import_("orders", missing, slug)
    assert result.returncode == 2 and "Missing required column(s): currency, placed_at" in result.stderr
    assert "customer_external_id, customer_email" in result.stderr
    for table in ("crm_customer", "crm_contact", "crm_channel", "crm_order", "core_audit_entry"):
        assert db.count(table, tid) == 0, table


def test_an_order_never_finds_a_customer_of_another_tenant(db: Db, tmp_path: Path) -> None:
    owner_slug, owner = db.tenant()
    slug, tid = db.tenant()
    customers = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [CUSTOMERS[0], CUSTOMERS[3]])
    assert summary(db.import_("customers", customers, owner_slug, "--channel", "Shopify EU")) == counts(created=2)
    orders = write_csv(tmp_path / "o.csv", ORDER_HEADER, ORDERS[:2])
    report = tmp_path / "r.xlsx"
    result = db.import_("orders", orders, slug, "--channel", "Shopify EU", "--errors", str(report))
    assert summary(result) == counts(failed=2)
    reasons = [r[-1] for r in openpyxl.load_workbook(report).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert all("CUSTOMER_NOT_FOUND" in r for r in reasons) and len(reasons) == 2
    assert db.count("crm_order", tid) == 0 and db.count("crm_order", owner) == 0
    assert summary(db.import_("orders", orders, owner_slug, "--channel", "Shopify EU")) == counts(created=2)


def test_a_run_killed_part_way_then_run_again_ends_with_exact_counts(db: Db, tmp_path: Path) -> None:
    slug, tid = db.tenant()
    rows = [[f"K{i}", f"k{i}@example.com", f"+4915112{i:06d}", f"First{i}", "Last", "DE", "", "EUR", ""]
            for i in range(1000)]
    path = write_csv(tmp_path / "big.csv", CUSTOMER_HEADER, rows)
    killed = db.import_("customers", path, slug, "--channel", "Amazon DE", "--batch-size", "100",
                        SELLERCARE_IMPORT_FAIL_AFTER_BATCHES="6")
    assert killed.returncode not in (0, 2) and "SELLERCARE_IMPORT_FAIL_AFTER_BATCHES" in killed.stderr
    assert db.count("crm_customer", tid) == 600 and db.count("crm_identity", tid) == 600
    again = db.import_("customers", path, slug, "--channel", "Amazon DE", "--batch-size", "100")
    assert again.returncode == 0, again.stderr
    assert summary(again) == counts(created=400, unchanged=600)
    assert db.count("crm_customer", tid) == 1000 and db.count("crm_identity", tid) == 1000
    assert db.count("crm_contact", tid) == 2000
    assert summary(db.import_("customers", path, slug, "--channel", "Amazon DE")) == counts(unchanged=1000)




def test_external_ids_without_a_channel_are_refused_with_the_column_named(db: Db, tmp_path: Path) -> None:
    # docs/scripts.md's third example on a file with external ids and no --channel.
    slug, tid = db.tenant()
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, CUSTOMERS[:2])
    result = db.import_("customers", path, slug, "--on-conflict", "update")
    assert result.returncode == 2, result.stdout
    assert "The column external_id needs" in result.stderr and "{" not in result.stderr, result.stderr
    assert db.count("crm_customer", tid) == 0


LINE_HEADER = ["external_id", "customer_email", "currency", "total", "placed_at", "sku", "product_name", "quantity",
               "unit_price"]


def test_orders_are_counted_as_orders_and_a_file_that_fails_whole_creates_no_channel(db: Db, tmp_path: Path) -> None:
    slug, tid = db.tenant()
    customers = write_csv(tmp_path / "c.csv", ["email"], [["ana@example.pt"]])
    assert summary(db.import_("customers", customers, slug)) == counts(created=1)
    # Every row fails (no such customer): nothing is written, not even the new channel.
    lost = write_csv(tmp_path / "lost.csv", LINE_HEADER, [
        ["1001", "nobody@example.pt", "EUR", "25.00", "2026-03-01", "TEE", "T-shirt", "2", "10.00"],
        ["1001", "", "", "", "", "CAP", "Cap", "1", "5.00"]])
    failed = db.import_("orders", lost, slug, "--channel", "Web shop")
    assert failed.returncode == 1 and summary(failed) == counts(failed=1)
    assert "1 orders from 2 rows: " in failed.stdout and "was created" not in failed.stdout, failed.stdout
    assert "1 orders failed" in failed.stderr, failed.stderr
    assert db.count("crm_channel", tid) == 0 and db.count("crm_order", tid) == 0
    # Customers keyed by e-mail need no channel row either, even with --channel.
    assert summary(db.import_("customers", customers, slug, "--channel", "Web shop")) == counts(unchanged=1)
    assert db.count("crm_channel", tid) == 0
    # The channel is created with the first record that belongs to it.
    good = write_csv(tmp_path / "good.csv", LINE_HEADER, [
        ["1002", "ana@example.pt", "EUR", "25.00", "2026-03-01", "TEE", "T-shirt", "2", "10.00"],
        ["1002", "", "", "", "", "CAP", "Cap", "1", "5.00"],
        ["1003", "nobody@example.pt", "EUR", "5.00", "2026-03-02", "CAP", "Cap", "1", "5.00"]])
    done = db.import_("orders", good, slug, "--channel", "Web shop")
    assert summary(done) == counts(created=1, failed=1), done.stdout
    assert "2 orders from 3 rows: " in done.stdout and "channel 'Web shop' was created" in done.stdout
    assert db.rows("SELECT c.name FROM crm_order o JOIN crm_channel c ON c.id = o.channel_id "
                   "WHERE o.tenant_id = ?", tid) == [("Web shop",)]


def _report_rows(path: Path) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(path).worksheets[0].iter_rows(min_row=2, values_only=True))


def test_a_channel_column_gives_each_row_its_channel_in_the_tenant_only(db: Db, tmp_path: Path) -> None:
    other_slug, other = db.tenant()
    slug, tid = db.tenant()
    for s, channel in ((slug, "Amazon DE"), (slug, "Shopify EU"), (other_slug, "eBay UK")):
        seed = write_csv(tmp_path / "seed.csv", ["external_id", "email"], [[f"S-{channel}", f"s{s}@example.com"]])
        assert summary(db.import_("customers", seed, s, "--channel", channel))["created"] == 1
    header = ["external_id", "email", "first_name", "channel"]
    rows = [["A1", "a@example.com", "Ann", "Amazon DE"],
            ["A1", "a2@example.com", "Ann Two", "shopify eu"],  # the same id on another channel; any case
            ["E1", "e@example.com", "Eve", "eBay UK"],  # another tenant's channel: not found here
            ["Z1", "z@example.com", "Zed", ""],  # no --channel either
            ["", "n@example.com", "Nia", ""]]  # matched by e-mail: needs no channel
    report = tmp_path / "report.xlsx"
    result = db.import_("customers", write_csv(tmp_path / "c.csv", header, rows), slug, "--errors", str(report))
    assert summary(result) == counts(created=3, failed=2), result.stdout + result.stderr
    reasons = {r[1]: r[-1] for r in _report_rows(report)}
    assert reasons.keys() == {"E1", "Z1"}
    assert reasons["E1"].startswith("channel: No sales channel named eBay UK") and "CHANNEL_NOT_FOUND" in reasons["E1"]
    assert "CHANNEL_REQUIRED" in reasons["Z1"]
    assert db.rows("SELECT i.external_id, c.name, u.first_name FROM crm_identity i JOIN crm_channel c "
                   "ON c.id = i.channel_id JOIN crm_customer u ON u.id = i.customer_id WHERE i.tenant_id = ? "
                   "AND i.external_id = 'A1' ORDER BY c.name", tid) == [("A1", "Amazon DE", "Ann"),
                                                                        ("A1", "Shopify EU", "Ann Two")]
    assert db.count("crm_channel", tid) == 2 and db.count("crm_channel", other) == 1  # none created
    # Orders: customer_external_id is looked up on each row's channel; an empty cell takes --channel.
    orders = write_csv(tmp_path / "o.csv", ["external_id", "channel", "customer_external_id", "currency", "total",
                                            "placed_at"], [
        ["O1", "Amazon DE", "A1", "EUR", "10", "2026-01-02"],
        ["O1", "Shopify EU", "A1", "EUR", "20", "2026-01-03"],
        ["O2", "", "A1", "EUR", "30", "2026-01-04"],
        ["O3", "eBay UK", "A1", "EUR", "40", "2026-01-05"]])
    result = db.import_("orders", orders, slug, "--channel", "Shopify EU", "--errors", str(report))
    assert summary(result) == counts(created=3, failed=1), result.stdout + result.stderr
    assert db.rows("SELECT o.external_id, c.name, u.first_name, o.total FROM crm_order o JOIN crm_channel c "
                   "ON c.id = o.channel_id JOIN crm_customer u ON u.id = o.customer_id WHERE o.tenant_id = ? "
                   "ORDER BY o.total", tid) == [("O1", "Amazon DE", "Ann", 1000), ("O1", "Shopify EU", "Ann Two", 2000),
                                                ("O2", "Shopify EU", "Ann Two", 3000)]
    assert [r[1] for r in _report_rows(report)] == ["O3"]
    again = db.import_("orders", orders, slug, "--channel", "Shopify EU")
    assert summary(again) == counts(unchanged=3, failed=1)


def test_an_email_repeated_in_another_case_is_the_same_customer(db: Db, tmp_path: Path) -> None:
    slug, tid = db.tenant()
    header = ["email", "first_name", "phone", "tier"]
    rows = [["Ana@Example.PT", "Ana", "", ""],
            ["ana@example.pt", "Ana", "", ""],  # the same customer, saying nothing new: unchanged
            ["ANA@EXAMPLE.PT", "", "+351912345678", "gold"],  # something new: skipped, or merged with update
            ["bo@example.se", "Bo", "", ""]]
    path = write_csv(tmp_path / "c.csv", header, rows)
    first = db.import_("customers", path, slug)
    assert first.returncode == 0, first.stderr
    assert summary(first) == counts(created=2, unchanged=1, skipped=1)
    assert db.count("crm_customer", tid) == 2 and db.count("crm_contact", tid) == 2
    # Across runs (batches) it was already so: the same file again finds them.
    assert summary(db.import_("customers", path, slug)) == counts(unchanged=3, skipped=1)
    other_slug, other = db.tenant()
    merged = db.import_("customers", path, other_slug, "--on-conflict", "update", "--batch-size", "10")
    assert summary(merged) == counts(created=2, unchanged=1, updated=1)
    assert db.rows("SELECT first_name, tier FROM crm_customer WHERE tenant_id = ? ORDER BY first_name", other) == [
        ("Ana", "gold"), ("Bo", "standard")]
    contacts = db.rows("SELECT u.first_name, c.kind, c.is_primary FROM crm_contact c JOIN crm_customer u "
                       "ON u.id = c.customer_id WHERE c.tenant_id = ?", other)
    assert sorted((n, k, bool(p)) for n, k, p in contacts) == [
        ("Ana", "email", True), ("Ana", "phone", True), ("Bo", "email", True)]
    assert summary(db.import_("customers", path, other_slug, "--dry-run")) == counts(unchanged=4)


def test_birthday_and_tags_are_imported(db: Db, tmp_path: Path) -> None:
    slug, tid = db.tenant()
    seed = write_csv(tmp_path / "seed.csv", ["email", "tags"], [["seed@example.com", "VIP"]])
    assert summary(db.import_("customers", seed, slug)) == counts(created=1)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["email", "birthday", "tags"])
    sheet.append(["ana@example.pt", datetime(1964, 4, 4), "vip; Newsletter, newsletter"])  # an Excel date cell
    sheet.append(["bo@example.se", "1990-12-31T00:00:00", ""])
    sheet.append(["cy@example.com", "1990-12-31T10:30:00", ""])  # a time of day: not a date
    sheet.append(["di@example.com", "2990-01-01", ""])
    sheet.append(["ed@example.com", "", "x" * 51])
    path = tmp_path / "c.xlsx"
    book.save(path)
    report = tmp_path / "report.xlsx"
    result = db.import_("customers", path, slug, "--errors", str(report))
    assert summary(result) == counts(created=2, failed=3), result.stdout + result.stderr
    reasons = [r[-1] for r in _report_rows(report)]
    assert "birthday: " in reasons[0] and "DATE_WITH_TIME" in reasons[0]
    assert "INVALID_BIRTHDAY" in reasons[1] and "tags: " in reasons[2] and "INVALID_NAME" in reasons[2]
    birthdays = db.rows("SELECT birthday FROM crm_customer WHERE tenant_id = ? AND birthday IS NOT NULL "
                        "ORDER BY birthday", tid)
    assert [str(b) for (b,) in birthdays] == ["1964-04-04", "1990-12-31"]
    # "vip" is the tenant's VIP (matched regardless of case); Newsletter is created once.
    assert sorted(db.rows("SELECT name FROM crm_tag WHERE tenant_id = ?", tid)) == [("Newsletter",), ("VIP",)]
    assert sorted(db.rows("SELECT t.name, COUNT(*) FROM crm_customer_tag l JOIN crm_tag t ON t.id = l.tag_id "
                          "WHERE l.tenant_id = ? GROUP BY t.name", tid)) == [("Newsletter", 1), ("VIP", 2)]
    assert summary(db.import_("customers", path, slug)) == counts(unchanged=2, failed=3)
    # A new tag or birthday for a stored customer: skipped, or added with --on-conflict update (never removed).
    more = write_csv(tmp_path / "more.csv", ["email", "birthday", "tags"],
                     [["ana@example.pt", "", "NEWSLETTER;Wholesale"], ["bo@example.se", "1991-01-01", "vip"]])
    assert summary(db.import_("customers", more, slug)) == counts(skipped=2)
    assert summary(db.import_("customers", more, slug, "--on-conflict", "update")) == counts(updated=2)
    assert sorted(db.rows("SELECT t.name, COUNT(*) FROM crm_customer_tag l JOIN crm_tag t ON t.id = l.tag_id "
                          "WHERE l.tenant_id = ? GROUP BY t.name", tid)) == [
        ("Newsletter", 1), ("VIP", 3), ("Wholesale", 1)]
    birthdays = db.rows("SELECT birthday FROM crm_customer WHERE tenant_id = ? AND birthday IS NOT NULL "
                        "ORDER BY birthday", tid)
    assert [str(b) for (b,) in birthdays] == ["1964-04-04", "1991-01-01"]
    assert summary(db.import_("customers", more, slug)) == counts(unchanged=2)


def test_control_characters_fail_their_row_on_both_databases(db: Db, tmp_path: Path) -> None:
    """PostgreSQL refuses NUL in text (SQLite would store it): the row is refused with its column named,
    the other rows go in, on either database."""
    slug, tid = db.tenant()
    path = write_csv(tmp_path / "c.csv", ["email", "first_name", "last_name"],
                     [["ok@example.com", "Ok", "Row"], ["nul@example.com", "Nu\x00l", "Row"],
                      ["bell@example.com", "Bell", "\x07"], ["tab@example.com", "Tab\tbed", "Row"]])
    report = tmp_path / "report.xlsx"
    result = db.import_("customers", path, slug, "--errors", str(report))
    assert summary(result) == counts(created=2, failed=2), result.stdout + result.stderr
    reasons = [r[-1] for r in _report_rows(report)]
    assert "first_name: " in reasons[0] and "INVALID_TEXT" in reasons[0] and "U+0000" in reasons[0]
    assert "last_name: " in reasons[1] and "U+0007" in reasons[1]
    assert db.count("crm_customer", tid) == 2
