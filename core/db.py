"""Database start-up: one tortoise app for the core and one per installed module.

Each app has its own migrations package, so a module's schema moves with the module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as tortoise_migrate

from core import db_patches
from core.registry import Module

CORE_APP = "core"
# PostgreSQL: seconds to open a connection, and for one statement (asyncpg's `timeout` and
# `command_timeout`; override either in DATABASE_URL's query string). An unreachable or paused
# server then answers a request with SERVICE_UNAVAILABLE within seconds instead of hanging.
PG_TIMEOUTS = {"timeout": 5.0, "command_timeout": 60.0}
# Connections per process (tortoise's asyncpg pool, whose own default is 5): see Settings.db_pool_size.
DEFAULT_POOL_SIZE = 10


def _connection(url: str, pool_size: int) -> str | dict[str, Any]:
    if not url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return url
    config = expand_db_url(url)
    credentials = config["credentials"]
    for key, default in PG_TIMEOUTS.items():
        credentials[key] = float(credentials.get(key, default))
    credentials.setdefault("maxsize", pool_size)  # DATABASE_URL's ?maxsize= wins
    return config


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://") and not url.startswith("sqlite://:memory:"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def tortoise_config(database_url: str, modules: Iterable[Module], pool_size: int = DEFAULT_POOL_SIZE
                    ) -> dict[str, Any]:
    apps: dict[str, Any] = {
        CORE_APP: {
            "models": ["core.models"],
            "migrations": "core.migrations",
            "default_connection": "default",
        }
    }
    for module in modules:
        if module.has_models:
            apps[module.name] = {
                "models": [module.models_module],
                "migrations": module.migrations_module,
                "default_connection": "default",
            }
    return {"connections": {"default": _connection(database_url, pool_size)}, "apps": apps, "use_tz": True}


async def init_db(database_url: str, modules: Sequence[Module], pool_size: int = DEFAULT_POOL_SIZE) -> None:
    db_patches.apply()
    _ensure_sqlite_dir(database_url)
    # Global fallback: the ASGI lifespan runs in its own task, requests in others; tortoise 1.x
    # keeps its context in a contextvar, which those tasks would not see otherwise.
    await Tortoise.init(config=tortoise_config(database_url, modules, pool_size), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(
    database_url: str, modules: Sequence[Module], apps: Sequence[str] | None = None,
    target: str | None = None, direction: str = "both",
) -> None:
    """Apply migrations (to the latest, or to `target` such as "crm.0002_x"), then disconnect.

    `modules` must include every module whose migrations the chosen apps depend on.
    `direction="forward"` refuses a plan that would unapply a migration.
    """
    _ensure_sqlite_dir(database_url)
    try:
        await tortoise_migrate(
            config=tortoise_config(database_url, modules), app_labels=apps, target=target,
            direction=direction,
        )
    finally:
        await close_db()
