"""Settings read from the environment, once, so every process is configured the same way."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(RuntimeError):
    """A configuration that must not start (for instance production without a secret)."""


DEFAULT_DATABASE_URL = "sqlite://var/sellercare.sqlite3"


def _dev_secret(var_dir: Path) -> str:
    """A per-checkout secret for development, kept in var/ so several local processes agree."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = ""
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    login_attempts: int = 10
    login_window: int = 300
    max_body_bytes: int = 1_000_000
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    max_cost: int = 5_000
    max_page_size: int = 100
    default_page_size: int = 20
    policy_cache_tenants: int = 2_000
    policy_cache_ttl: float = 300.0
    cors_origins: tuple[str, ...] = ()
    demo_password: str = "demo"  # noqa: S105 - the documented demo login, embedded mode only
    var_dir: Path = field(default_factory=lambda: Path("var"))

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def embedded(self) -> bool:
        """No Redis configured: one process, arq and rate limits on an in-process fakeredis."""
        return self.redis_url is None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("SELLERCARE_ENV", "development")
        if mode not in {"development", "production", "test"}:
            raise SettingsError(f"SELLERCARE_ENV must be development, production or test, not {mode!r}")
        var_dir = Path(env.get("SELLERCARE_VAR_DIR", "var"))
        secret = env.get("SECRET_KEY", "")
        if not secret:
            if mode == "production":
                raise SettingsError("SECRET_KEY is required when SELLERCARE_ENV=production")
            secret = _dev_secret(var_dir)
        if mode == "production" and len(secret) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters in production")
        database_url = env.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        if mode == "production" and "DATABASE_URL" not in env:
            # The embedded default is not a production database: say which one to use.
            raise SettingsError("DATABASE_URL is required when SELLERCARE_ENV=production")
        redis_url = env.get("REDIS_URL") or None
        if mode == "production" and redis_url is None:
            raise SettingsError("REDIS_URL is required when SELLERCARE_ENV=production")
        return cls(
            env=mode,
            database_url=database_url,
            redis_url=redis_url,
            secret_key=secret,
            access_token_ttl=int(env.get("ACCESS_TOKEN_TTL", 900)),
            refresh_token_ttl=int(env.get("REFRESH_TOKEN_TTL", 30 * 24 * 3600)),
            login_attempts=int(env.get("LOGIN_ATTEMPTS", 10)),
            cors_origins=tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()),
            demo_password=env.get("SELLERCARE_DEMO_PASSWORD", "demo"),
            var_dir=var_dir,
        )
