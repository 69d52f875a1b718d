"""Every column a migration adds to an existing table can be added to a table that holds rows: it
is nullable or has a database default. (tortoise's `default=` is the ORM's alone: PostgreSQL refused
`ADD COLUMN ... NOT NULL` on the seller data set's sales channels for exactly this.)"""

from __future__ import annotations

import importlib
import pkgutil

from tortoise.migrations import operations as ops

from core.registry import Registry


def _migrations() -> list[tuple[str, object]]:
    found = []
    for module in Registry.discover().modules.values():
        package = f"{module.package}.migrations"
        try:
            migrations = importlib.import_module(package)
        except ModuleNotFoundError:
            continue
        for info in pkgutil.iter_modules(migrations.__path__):
            found.append((f"{package}.{info.name}", importlib.import_module(f"{package}.{info.name}").Migration))
    for info in pkgutil.iter_modules(importlib.import_module("core.migrations").__path__):
        found.append((f"core.migrations.{info.name}", importlib.import_module(f"core.migrations.{info.name}").Migration))
    return found


def test_a_column_added_to_a_table_with_rows_is_nullable_or_has_a_database_default() -> None:
    offending = []
    for name, migration in _migrations():
        for operation in getattr(migration, "operations", []):
            if type(operation) is not ops.AddField:
                continue
            field = operation.field
            if not field.null and not field.has_db_default() and not field.generated:
                offending.append(f"{name}: {operation.model_name}.{operation.name}")
    assert offending == [], offending
