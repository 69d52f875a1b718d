"""Database start-up: one tortoise app for the core and one per installed module.

Each app has its own migrations package, so a module's schema moves with the module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from core.registry import Module

CORE_APP = "core"


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://") and not url.startswith("sqlite://:memory:"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def tortoise_config(database_url: str, modules: Iterable[Module]) -> dict[str, Any]:
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
    return {"connections": {"default": database_url}, "apps": apps, "use_tz": True}


async def init_db(database_url: str, modules: Sequence[Module]) -> None:
    _ensure_sqlite_dir(database_url)
    await Tortoise.init(config=tortoise_config(database_url, modules))


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(
    database_url: str, modules: Sequence[Module], apps: Sequence[str] | None = None,
    target: str | None = None,
) -> None:
    """Apply migrations (to the latest, or to `target` such as "crm.0002_x"), then disconnect.

    `modules` must include every module whose migrations the chosen apps depend on.
    """
    _ensure_sqlite_dir(database_url)
    try:
        await tortoise_migrate(
            config=tortoise_config(database_url, modules), app_labels=apps, target=target
        )
    finally:
        await close_db()
