"""Permission checks: cached, correct under concurrency, and invalidated in every process."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from core.access import AccessControl
from core.access.admin import set_assignment, set_grant
from core.auth.principal import Principal
from core.identity import add_user
from core.models import Role
from tests.conftest import (
    REDIS_URL,
    Api,
    TenantFixture,
    create_pg_database,
    drop_pg_database,
)

ROOT = Path(__file__).resolve().parent.parent


async def test_cache_serves_from_memory_until_a_change(api: Api, rt: Any, tenant: TenantFixture) -> None:
    access = AccessControl()
    assert await access.allowed(tenant.admin_id, tenant.id, "team.role", "write")
    loads = access.loads
    for _ in range(100):
        assert await access.allowed(tenant.admin_id, tenant.id, "team.role", "write")
        assert not await access.allowed(tenant.admin_id, tenant.id, "team.role", "fly")
    assert access.loads == loads
    access.invalidate(tenant.id)
    assert await access.allowed(tenant.admin_id, tenant.id, "team.role", "write")
    assert access.loads == loads + 1


async def test_concurrent_checks_never_see_a_change_undone(api: Api, rt: Any, tenant: TenantFixture) -> None:
    """Readers hammer one permission while it is granted and revoked; once a change has returned,
    no check that starts later may see the old answer (no stale cache re-inserted by a racing load)."""
    actor = Principal(tenant.admin_id, tenant.id)
    role = await Role.create(tenant_id=tenant.id, name="flipper")
    member = await add_user(tenant.id, f"flip@{tenant.slug}.test", "Flip", None)
    await set_assignment(rt, actor, member.id, role.id, True)
    state = {"version": 0, "expected": False}  # an odd version: a change is in flight
    violations: list[str] = []
    checks = 0
    stop = asyncio.Event()

    async def reader() -> None:
        nonlocal checks
        while not stop.is_set():
            version, expected = state["version"], state["expected"]
            got = await rt.access.allowed(member.id, tenant.id, "team.audit", "read")
            checks += 1
            if version % 2 == 0 and state["version"] == version and got != expected:
                violations.append(f"version {version}: expected {expected}, got {got}")
            await asyncio.sleep(0)

    readers = [asyncio.create_task(reader()) for _ in range(8)]
    rng = random.Random(7)
    for i in range(30):
        granted = i % 2 == 0
        state["version"] += 1
        await set_grant(rt, actor, role.id, "team.audit:read", granted)
        state["expected"] = granted
        state["version"] += 1
        answers = await asyncio.gather(*[
            rt.access.allowed(member.id, tenant.id, "team.audit", "read") for _ in range(10)])
        assert answers == [granted] * 10
        await asyncio.sleep(rng.random() / 200)
    stop.set()
    await asyncio.gather(*readers)
    assert violations == []
    assert checks > 100


async def test_a_change_reaches_another_process_at_once(tmp_path: Path) -> None:
    """Two processes on PostgreSQL + Redis: one changes a grant, the other sees it."""
    from core.settings import Settings

    name = f"sellercare_watch_{os.getpid()}"
    url = await create_pg_database(name)
    env = {"SELLERCARE_ENV": "test", "SECRET_KEY": "w" * 48, "DATABASE_URL": url,
           "REDIS_URL": REDIS_URL, "SELLERCARE_VAR_DIR": str(tmp_path)}
    Settings.from_env(env)  # the environment is valid before the subprocess uses it
    try:
        # This test needs its own database and Tortoise; it runs the other process as a subprocess
        # and this side in a subprocess too, so the session's app keeps its connection.
        script = f"""
import asyncio, sys, subprocess, time
from core import lifecycle
from core.registry import Registry
from core.runtime import Runtime
from core.settings import Settings
from core.identity import add_user, create_tenant
from core.access.admin import assign_role_by_name, set_grant, set_assignment
from core.auth.principal import Principal
from core.identity import add_user
from core.models import Role

async def main():
    settings = Settings.from_env()
    await lifecycle.migrate_all(settings, Registry.discover())
    rt = await Runtime.start(settings)
    tenant = await create_tenant("watch", "Watch")
    user = await add_user(tenant.id, "w@watch.test", "W", None)
    admin = await add_user(tenant.id, "a@watch.test", "A", None)
    await assign_role_by_name(tenant.id, admin.id, "admin")
    role = await Role.create(tenant_id=tenant.id, name="watched")
    actor = Principal(admin.id, tenant.id)
    await set_assignment(rt, actor, user.id, role.id, True)
    other = subprocess.Popen([sys.executable, {str(ROOT / 'tests/fixtures/watch_permission.py')!r},
                              str(user.id), str(tenant.id), "team.user", "read", "20"],
                             stdout=subprocess.PIPE, text=True)
    assert other.stdout.readline().strip() == "ready"
    assert other.stdout.readline().strip() == "denied"
    for granted in (True, False, True):
        start = time.monotonic()
        await set_grant(rt, actor, role.id, "team.user:read", granted)
        line = other.stdout.readline().strip()
        assert line == ("allowed" if granted else "denied"), line
        print("seen after", round(time.monotonic() - start, 3), flush=True)
    other.kill()
    await rt.stop()

asyncio.run(main())
"""
        env_all = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        result = subprocess.run([sys.executable, "-c", script], env=env_all, capture_output=True,
                                text=True, timeout=120, cwd=ROOT)
        assert result.returncode == 0, result.stderr[-3000:]
        delays = [float(line.split()[-1]) for line in result.stdout.splitlines() if line.startswith("seen")]
        assert len(delays) == 3
        assert max(delays) < 2.0  # the poller checks every 20 ms; the cache TTL is 300 s
    finally:
        await drop_pg_database(name)


async def test_the_tenant_cache_is_bounded(api: Api, rt: Any) -> None:
    from tests.conftest import make_tenant

    tenants = [await make_tenant(api, rt) for _ in range(3)]
    access = AccessControl(max_tenants=2)
    for t in tenants:
        assert await access.allowed(t.admin_id, t.id, "team.role", "read")
    assert access.loads == 3
    assert await access.allowed(tenants[2].admin_id, tenants[2].id, "team.role", "read")
    assert access.loads == 3  # most recent: still cached
    assert await access.allowed(tenants[0].admin_id, tenants[0].id, "team.role", "read")
    assert access.loads == 4  # least recent was evicted and reloaded


async def test_a_cancelled_caller_does_not_cancel_others_waiting_on_the_same_load(api: Api, rt: Any,
                                                                                tenant: TenantFixture) -> None:
    from core.access.enforcer import load_rows

    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_loader(tenant_id: int) -> list[tuple[str, str, str, str, str]]:
        started.set()
        await release.wait()
        return await load_rows(tenant_id)

    access = AccessControl(loader=slow_loader)
    first = asyncio.create_task(access.allowed(tenant.admin_id, tenant.id, "team.role", "read"))
    await started.wait()
    second = asyncio.create_task(access.allowed(tenant.admin_id, tenant.id, "team.role", "read"))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second is True
    assert first.cancelled()
    assert access.loads == 1
