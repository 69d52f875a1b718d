"""A partner's module plugs in as a real pip distribution, and its migrations upgrade.

`tests/fixtures/acme_warranty` is a distribution of its own (pyproject.toml, an entry point in the
`sellercare.modules` group) that no core file names. It is built and installed with pip into a
temporary directory, never into the venv (`make run` must not see it). Discovery is checked in this
process; everything that opens a database runs in a subprocess (tests/fixtures/partner_steps.py:
tortoise's state is per process, see its docstring), on a fresh database of the suite's backend
(SELLERCARE_TEST_DB: a SQLite file or a PostgreSQL database), while this process reads the database directly
(sqlite3 / asyncpg), not through tortoise.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from strawberry import relay

from core.access.subjects import DEFAULT_DOMAIN, role_subject
from core.registry import Registry
from tests.conftest import BACKEND
from tests.scratch import ScratchDatabase, reported_steps, scratch_database

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "fixtures" / "acme_warranty"
STEPS = ROOT / "tests" / "fixtures" / "partner_steps.py"
TABLE = "acme_warranty_claim"


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the suite's database and Redis settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SELLERCARE_", "TEST_")) and k not in {"DATABASE_URL", "REDIS_URL"}}
    env.pop("PYTHONPATH", None)
    return {**env, **extra}


@pytest.fixture(scope="module")
def partner_dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`pip install` the partner's distribution into a temporary directory and put it on sys.path.

    pip builds in the source tree it is given, so it is given a copy: no build/ or *.egg-info is
    ever left under tests/fixtures, and two suites running at once do not share a build folder.
    """
    work = tmp_path_factory.mktemp("acme_warranty")
    source, target = work / "src", work / "site"
    shutil.copytree(SOURCE, source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-input",
         "--disable-pip-version-check", "--target", str(target), str(source)],
        capture_output=True, text=True, env=_clean_env(), timeout=300,
    )
    assert pip.returncode == 0, f"pip install failed:\n{pip.stdout}\n{pip.stderr}"
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [n for n in sys.modules if n == "acme_warranty" or n.startswith("acme_warranty.")]:
            del sys.modules[name]
        importlib.invalidate_caches()


class Database(ScratchDatabase):
    """The partner scenario's database, with the questions the tests ask of it."""

    async def columns(self, table: str) -> set[str]:
        if self.backend == "sqlite":
            return {str(r[1]) for r in await self.rows(f"PRAGMA table_info({table})")}
        return {str(r[0]) for r in await self.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", table)}

    async def modules(self) -> dict[str, tuple[str, str]]:
        return {r[0]: (r[1], r[2]) for r in await self.rows("SELECT name, version, state FROM core_module")}

    async def default_grants(self, module: str) -> set[tuple[str, str, str]]:
        return {(r[0], r[1], r[2]) for r in await self.rows(
            "SELECT v0, v1, v2 FROM core_policy WHERE ptype = 'p' AND domain = ? AND module = ?",
            DEFAULT_DOMAIN, module)}

    async def migrations(self, app: str) -> list[str]:
        return sorted(r[0] for r in await self.rows(
            "SELECT name FROM tortoise_migrations WHERE app = ?", app))

    async def steps(self, dist: Path, *steps: str) -> dict[str, Any]:
        """Run steps of partner_steps.py in a process of its own; what each step reported."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(STEPS), self.url, str(self.work), *steps,
            cwd=self.work, env=_clean_env(PYTHONPATH=os.pathsep.join([str(dist), str(ROOT)])),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
        assert proc.returncode == 0, (
            f"steps {steps} failed ({proc.returncode}):\n{out.decode()}\n{err.decode()[-6000:]}"
        )
        facts = reported_steps(out.decode())
        assert list(facts) == list(steps), out.decode()
        return facts


@pytest.fixture(params=[BACKEND])
async def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with scratch_database(request.param, tmp_path, "partner") as db:
        yield Database(db.backend, db.url, db.work)


ADMIN_GRANTS = {(role_subject("admin"), "acme_warranty.claim", "read"),
                (role_subject("admin"), "acme_warranty.claim", "write")}


def test_partner_module_is_discovered_through_its_entry_point(partner_dist: Path) -> None:
    registry = Registry.discover()
    acme = registry["acme_warranty"]
    assert (acme.version, acme.depends, acme.package) == ("1.1.0", ("team",), "acme_warranty")
    assert [p.key for p in acme.permissions] == ["acme_warranty.claim:read", "acme_warranty.claim:write"]
    assert [m.name for m in registry.resolve(["acme_warranty"])] == ["team", "acme_warranty"]
    # It comes from the pip-installed copy, with its package data, not from the source tree.
    assert acme.root.is_relative_to(partner_dist) and acme.security_csv.is_file()
    dist = importlib.metadata.distribution("acme-warranty")
    assert dist.version == "1.1.0"
    assert [ep.value for ep in dist.entry_points if ep.group == "sellercare.modules"] == [
        "acme_warranty:module"]
    # The venv itself does not have it: `make run` discovers only the built-in modules.
    alone = subprocess.run(
        [sys.executable, "-c",
         "from core.registry import Registry; print(' '.join(sorted(Registry.discover().modules)))"],
        capture_output=True, text=True, env=_clean_env(), cwd=partner_dist.parent, timeout=120,
    )
    assert alone.returncode == 0, alone.stderr
    assert "acme_warranty" not in alone.stdout.split() and "team" in alone.stdout.split()
    assert not list(SOURCE.glob("*.egg-info")) and not (SOURCE / "build").exists()


async def test_installed_at_its_first_migration_then_upgraded(
    partner_dist: Path, fresh_db: Database
) -> None:
    db = fresh_db
    facts = await db.steps(partner_dist, "install-0001")
    assert facts["install-0001"]["installed"] == ["team", "acme_warranty"]
    assert await db.migrations("acme_warranty") == ["0001_initial"]
    columns = await db.columns(TABLE)
    assert {"id", "tenant_id", "serial_number", "status"} <= columns and "notes" not in columns
    tenant_id = facts["install-0001"]["tenant_id"]
    await db.execute(f"INSERT INTO {TABLE} (tenant_id, serial_number, status) VALUES (?, ?, ?)",  # noqa: S608
                     tenant_id, "SN-0001", "open")
    assert (await db.modules())["acme_warranty"] == ("1.1.0", "installed")
    assert await db.default_grants("acme_warranty") == ADMIN_GRANTS

    facts = await db.steps(partner_dist, "upgrade")
    assert facts["upgrade"]["upgraded"] == ["acme_warranty"]
    assert await db.migrations("acme_warranty") == ["0001_initial", "0002_notes"]
    assert "notes" in await db.columns(TABLE)
    assert await db.rows(f"SELECT tenant_id, serial_number, status, notes FROM {TABLE}") == [  # noqa: S608
        (tenant_id, "SN-0001", "open", None)]
    modules = await db.modules()
    assert modules["acme_warranty"] == ("1.1.0", "installed")
    assert modules["team"] == ("1.0.0", "installed")
    # Reloaded on upgrade, not duplicated.
    assert await db.default_grants("acme_warranty") == ADMIN_GRANTS


async def test_partner_fields_over_http(partner_dist: Path, fresh_db: Database) -> None:
    facts = (await fresh_db.steps(partner_dist, "install", "http"))["http"]
    claim_id = str(relay.GlobalID("WarrantyClaim", str(facts["claim_id"])))

    claims = facts["admin_claims"]
    assert claims["status"] == 200 and "errors" not in claims, claims
    assert claims["data"]["warrantyClaims"] == [
        {"id": claim_id, "serialNumber": "SN-HTTP-1", "status": "open", "notes": "screen flickers"}]
    assert facts["admin_node"]["data"]["node"] == {"serialNumber": "SN-HTTP-1"}

    permissions = {p["key"]: p for p in facts["admin_permissions"]["data"]["permissions"]}
    assert permissions["acme_warranty.claim:read"] == {
        "key": "acme_warranty.claim:read", "module": "acme_warranty", "label": "See warranty claims"}
    assert "acme_warranty.claim:write" in permissions and "team.user:read" in permissions
    assert {"acme_warranty.claim:read", "acme_warranty.claim:write"} <= set(
        facts["admin_viewer"]["data"]["viewer"]["permissions"])

    for denied in (facts["agent_claims"], facts["agent_node"]):
        assert denied["data"] is None or denied["data"].get("node") is None, denied
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN", denied


async def test_a_dependency_of_the_partner_module_cannot_be_uninstalled(
    partner_dist: Path, fresh_db: Database
) -> None:
    facts = (await fresh_db.steps(partner_dist, "install", "uninstall-team"))["uninstall-team"]
    assert facts["refused"] is True
    assert "'team'" in facts["message"] and "acme_warranty" in facts["message"]
    modules = await fresh_db.modules()
    assert modules["team"] == ("1.0.0", "installed")
    assert modules["acme_warranty"] == ("1.1.0", "installed")
