"""What a running process holds: settings, installed modules, Redis, the access cache.

The API and the worker build one Runtime each; nothing here is state another process needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from arq.connections import ArqRedis

from core import automation, channels, pubsub, translation
from core.access import AccessControl
from core.access.watcher import PolicyWatcher
from core.after_commit import after_commit
from core.auth.passwords import configure as configure_passwords
from core.crypto import configure as configure_crypto
from core.db import close_db, init_db
from core.i18n import register_domain
from core.models import ModuleState
from core.redis import connect
from core.registry import Module, Permission, Registry
from core.settings import Settings
from core.storage import close as close_storage
from core.storage import configure as configure_storage

CORE_LOCALE = Path(__file__).parent / "locale"


async def installed_modules(registry: Registry) -> list[Module]:
    """Installed modules in dependency order (the database says which; the registry says how)."""
    names = await ModuleState.filter(state="installed").values_list("name", flat=True)
    available = [str(n) for n in names if n in registry.modules]
    return registry.resolve(available)


@dataclass
class Runtime:
    settings: Settings
    registry: Registry
    modules: list[Module]
    redis: ArqRedis
    access: AccessControl
    watcher: PolicyWatcher
    permissions: dict[str, Permission] = field(default_factory=dict)
    live: pubsub.Hub | None = None  # live updates across processes (subscriptions)
    translator: translation.TranslationProvider | None = None

    def permission_domain(self, key: str) -> str:
        """The gettext domain (module name) that declares a permission."""
        for module in self.modules:
            if any(p.key == key for p in module.permissions):
                return module.name
        return "core"

    async def policy_changed(self, tenant_id: int | None) -> None:
        """Drop the tenant's cached policies here and in every process, once the change is
        committed (inside an outer transaction, after it: core.after_commit)."""
        await after_commit(lambda: self.watcher.changed(tenant_id))

    @classmethod
    async def start(cls, settings: Settings, registry: Registry | None = None) -> Runtime:
        registry = registry or Registry.discover()
        configure_crypto(settings)  # PII encryption keys (raises SettingsError if missing in production)
        configure_passwords(settings)
        configure_storage(settings)  # where attachments live, and the key of their links
        # Open with the core alone to read which modules are installed, then with them.
        await init_db(settings.database_url, [])
        try:
            modules = await installed_modules(registry)
        finally:
            await close_db()
        await init_db(settings.database_url, modules, settings.db_pool_size)
        register_domain("core", CORE_LOCALE)
        for module in modules:
            register_domain(module.name, module.locale_dir)
        redis = connect(settings)
        access = AccessControl(settings.policy_cache_tenants, settings.policy_cache_ttl)
        watcher = PolicyWatcher(redis, access)
        await watcher.start()
        permissions = {p.key: p for m in modules for p in m.permissions}
        channels.install(channels.collect(modules))
        automation.install(automation.collect(modules))
        live = pubsub.install(pubsub.Hub(redis))
        translator = translation.install(translation.build(settings))
        return cls(settings, registry, modules, redis, access, watcher, permissions, live, translator)

    async def start_modules(self, process: str) -> None:
        """Run the installed modules' start-up hooks, dependencies first; `process` is "api" or
        "worker". A hook only starts its work (see `Module.startup`), so this returns at once."""
        for module in self.modules:
            hook = module.load_startup()
            if hook is not None:
                await hook(self, process)

    async def stop(self) -> None:
        if self.live is not None:
            pubsub.uninstall(self.live)
            await self.live.close()
        await translation.uninstall(self.translator)
        await close_storage()
        await self.watcher.stop()
        await self.redis.aclose()
        await close_db()
