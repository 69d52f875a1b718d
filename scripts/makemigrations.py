"""Write the migrations that model changes need: `python -m scripts.makemigrations [APP ...]`.

A development tool for module authors (partners' included): it loads every installed module's
models into an in-memory SQLite database, compares them with each app's migrations and writes
the next migration file of each changed app (or of the named apps only). A module's first
migration depends on the core's, so the core's tables exist first.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from core import crypto
from core.db import tortoise_config
from core.registry import Registry
from core.settings import Settings


async def write(apps: list[str]) -> list[str]:
    registry = Registry.discover()
    modules = registry.resolve(registry.modules)
    with tempfile.TemporaryDirectory() as var_dir:
        crypto.configure(Settings.from_env({"SELLERCARE_VAR_DIR": var_dir}))
        config = tortoise_config("sqlite://:memory:", modules)
        await Tortoise.init(config=config)
        try:
            assert Tortoise.apps is not None
            # Every app's migrations are loaded, so that a new migration depends on the right
            # migrations of the apps it refers to; only the wanted apps' files are written.
            writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
            return [str(w.write()) for w in writers if not apps or w.app_label in apps]
        finally:
            await Tortoise.close_connections()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="*", help="apps (module names, or core) to write for; default all")
    args = parser.parse_args(argv)
    paths = asyncio.run(write(args.apps))
    print("\n".join(paths) if paths else "No changes.")


if __name__ == "__main__":
    main()
