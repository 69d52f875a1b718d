"""Production refuses to start on missing configuration, with a message saying what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings, SettingsError

PROD = {"SELLERCARE_ENV": "production", "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgres://u@db/x", "REDIS_URL": "redis://r:6379/0"}


@pytest.mark.parametrize("missing,needle", [
    ("SECRET_KEY", "SECRET_KEY is required"),
    ("DATABASE_URL", "DATABASE_URL is required"),
    ("REDIS_URL", "REDIS_URL is required"),
])
def test_production_needs_its_settings(missing: str, needle: str) -> None:
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(SettingsError, match=needle):
        Settings.from_env(env)


def test_short_secret_and_unknown_env_are_refused() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({**PROD, "SECRET_KEY": "short"})
    with pytest.raises(SettingsError, match="SELLERCARE_ENV"):
        Settings.from_env({"SELLERCARE_ENV": "staging"})


def test_development_keeps_one_generated_secret(tmp_path: Path) -> None:
    a = Settings.from_env({"SELLERCARE_VAR_DIR": str(tmp_path)})
    b = Settings.from_env({"SELLERCARE_VAR_DIR": str(tmp_path)})
    assert a.secret_key == b.secret_key and len(a.secret_key) >= 32 and a.embedded
    assert Settings.from_env(PROD).production and not Settings.from_env(PROD).embedded


def test_the_command_line_reports_a_missing_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    env["SELLERCARE_ENV"] = "production"
    result = subprocess.run([sys.executable, "-m", "scripts.cli", "serve"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "SECRET_KEY is required when SELLERCARE_ENV=production" in result.stderr
    assert "Traceback" not in result.stderr


async def test_cors_preflight_for_configured_origins(tmp_path: Path) -> None:
    import httpx

    from schema.app import create_app

    settings = Settings.from_env({"SELLERCARE_VAR_DIR": str(tmp_path),
                                  "CORS_ORIGINS": "https://admin.example.com, https://app.example.com"})
    assert settings.cors_origins == ("https://admin.example.com", "https://app.example.com")
    app = create_app(settings)  # routes and middleware only: no lifespan needed for a preflight
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        ok = await client.options("/graphql", headers={
            "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://app.example.com"
        # A browser may send Idempotency-Key and read whether the answer was replayed.
        exposed = await client.get("/health", headers={"Origin": "https://app.example.com"})
        assert exposed.headers["access-control-expose-headers"] == "Idempotent-Replayed"
        bad = await client.options("/graphql", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in bad.headers
