"""The `sellercare` command: set-up tasks a script or an operator runs, with clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(tmp: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update({"SELLERCARE_VAR_DIR": str(tmp), "DATABASE_URL": f"sqlite://{tmp / 'cli.sqlite3'}",
                "SELLERCARE_ENV": "development", **extra})
    return subprocess.run([sys.executable, "-m", "scripts.cli", *args], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=120)


def test_cli_sets_up_tenants_users_and_modules(tmp_path: Path) -> None:
    first = run(tmp_path, "migrate").stdout
    assert first.startswith("installed: ") and "team" in first
    assert "up to date" in run(tmp_path, "migrate").stdout
    listed = {line.split()[0]: line.split()[1:3] for line in run(tmp_path, "modules", "list").stdout.splitlines()}
    assert listed["team"] == ["1.0.0", "installed"]
    created = run(tmp_path, "tenants", "create", "acme-eu", "Acme EU")
    assert created.returncode == 0 and "created tenant acme-eu" in created.stdout
    taken = run(tmp_path, "tenants", "create", "acme-eu", "Again")
    assert taken.returncode == 2 and "The slug acme-eu is taken." in taken.stderr
    bad = run(tmp_path, "tenants", "create", "Bad Slug!", "")
    assert bad.returncode == 2
    assert "A slug has" in bad.stderr and "A name is required." in bad.stderr
    user = run(tmp_path, "users", "create", "--tenant", "acme-eu", "--email", "Ops@Acme.test",
               "--role", "supervisor", SELLERCARE_PASSWORD="long enough secret")
    assert user.returncode == 0 and "with roles: supervisor" in user.stdout
    assert "long enough secret" not in user.stdout + user.stderr
    # The same rules as the API: an existing account is never given a password or a membership.
    assert run(tmp_path, "tenants", "create", "acme-us", "Acme US").returncode == 0
    squat = run(tmp_path, "users", "create", "--tenant", "acme-us", "--email", "ops@acme.test",
                SELLERCARE_PASSWORD="another password")
    assert squat.returncode == 2 and "already has an account" in squat.stderr
    invited = run(tmp_path, "users", "invite", "--tenant", "acme-us", "--email", "ops@acme.test",
                  "--role", "agent")
    assert invited.returncode == 0 and "accept-invitation?token=sci_" in invited.stdout
    bad_role = run(tmp_path, "users", "invite", "--tenant", "acme-us", "--email", "x@acme.test",
                   "--role", "nosuch")
    assert bad_role.returncode == 2 and "no role named nosuch" in bad_role.stderr
    missing = run(tmp_path, "users", "create", "--tenant", "nope", "--email", "a@b.test",
                  SELLERCARE_PASSWORD="long enough secret")
    assert missing.returncode == 2 and "no tenant with slug 'nope'" in missing.stderr
    unknown = run(tmp_path, "modules", "install", "does_not_exist")
    assert unknown.returncode == 2 and "no module named 'does_not_exist'" in unknown.stderr
    for result in (taken, bad, squat, bad_role, missing, unknown):
        assert "Traceback" not in result.stderr
