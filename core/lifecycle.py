"""Install, upgrade and uninstall modules: real operations recorded in the database."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.transactions import in_transaction

from core.access.admin import load_default_policies, remove_default_policies
from core.db import CORE_APP, close_db, init_db, migrate
from core.models import ModuleState
from core.registry import Module, Registry, RegistryError
from core.settings import Settings


async def _installed(url: str, registry: Registry) -> list[str]:
    await migrate(url, [], apps=[CORE_APP])
    await init_db(url, [])
    try:
        names = await ModuleState.filter(state="installed").values_list("name", flat=True)
    finally:
        await close_db()
    missing = [str(n) for n in names if n not in registry.modules]
    if missing:
        raise RegistryError(
            f"installed module(s) {', '.join(sorted(missing))} are not available in this "
            "environment: install their packages or uninstall them"
        )
    return [str(n) for n in names]


async def _apply(
    url: str, modules: list[Module], record: Iterable[Module], target: str | None = None
) -> None:
    """Migrate the core and `modules` to their latest state, then record `record` as installed.

    With `target` ("app.0001_initial"), that app stops at that migration; the others go to latest.
    """
    if target:
        app = target.partition(".")[0]
        await migrate(url, modules, apps=[CORE_APP, *(m.name for m in modules
                                                      if m.has_models and m.name != app)])
        await migrate(url, modules, target=target, direction="forward")
    else:
        await migrate(url, modules)
    await init_db(url, modules)
    try:
        known = {p.key: p for m in modules for p in m.permissions}
        async with in_transaction():
            for module in record:
                state, _ = await ModuleState.get_or_create(
                    name=module.name, defaults={"version": module.version}
                )
                state.version, state.state = module.version, "installed"
                await state.save()
                await load_default_policies(module, known)
    finally:
        await close_db()


async def install(
    settings: Settings, registry: Registry, names: Iterable[str], target: str | None = None
) -> list[str]:
    """Install the named modules and their dependencies; returns the names newly installed.

    `target` ("module.0001_initial") installs one of the new modules only up to that migration,
    as an older release of it would have; `upgrade` later applies the rest.
    """
    url = settings.database_url
    installed = await _installed(url, registry)
    plan = registry.resolve([*installed, *names])
    new = [m for m in plan if m.name not in installed]
    if target:
        app = target.partition(".")[0]
        if app not in {m.name for m in new}:
            raise RegistryError(f"migration target {target!r} is not in a module being installed")
        dependents = registry.dependents(app, [m.name for m in plan])
        if dependents:
            raise RegistryError(
                f"module {app!r} cannot stop at {target!r}: {', '.join(dependents)} depend(s) on it"
            )
    await _apply(url, plan, new, target)
    return [m.name for m in new]


async def upgrade(settings: Settings, registry: Registry, names: Iterable[str] | None = None) -> list[str]:
    """Apply pending migrations and reload default policies of installed modules."""
    url = settings.database_url
    installed = await _installed(url, registry)
    targets = list(names) if names else installed
    for name in targets:
        if name not in installed:
            raise RegistryError(f"module {name!r} is not installed")
    plan = registry.resolve(installed)
    chosen = [m for m in plan if m.name in targets]
    await _apply(url, plan, chosen)
    return [m.name for m in chosen]


async def uninstall(settings: Settings, registry: Registry, name: str) -> None:
    """Mark a module uninstalled and drop its default grants. Its tables and data are kept."""
    url = settings.database_url
    installed = await _installed(url, registry)
    if name not in installed:
        raise RegistryError(f"module {name!r} is not installed")
    dependents = [n for n in registry.dependents(name, installed)]
    if dependents:
        raise RegistryError(
            f"module {name!r} cannot be uninstalled: {', '.join(dependents)} depend(s) on it"
        )
    await init_db(url, registry.resolve(installed))
    try:
        async with in_transaction():
            await ModuleState.filter(name=name).update(state="uninstalled")
            await remove_default_policies(name)
    finally:
        await close_db()


async def migrate_all(settings: Settings, registry: Registry) -> list[str]:
    """`sellercare migrate`: bring the core and every installed module up to date.

    On a fresh database nothing is installed yet: then every available module is installed.
    """
    installed = await _installed(settings.database_url, registry)
    if not installed:
        return await install(settings, registry, sorted(registry.modules))
    await upgrade(settings, registry)
    return []


async def module_states(settings: Settings) -> dict[str, tuple[str, str]]:
    await migrate(settings.database_url, [], apps=[CORE_APP])
    await init_db(settings.database_url, [])
    try:
        return {s.name: (s.version, s.state) for s in await ModuleState.all()}
    finally:
        await close_db()
