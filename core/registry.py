"""The module registry: what a module declares, how modules are found, and in what order they load.

Built-in modules and partners' modules are found the same way, through the entry-point group
`sellercare.modules`; the core never names one.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # core.automation imports this module
    from core.automation import AutomationContribution

ENTRY_POINT_GROUP = "sellercare.modules"


class RegistryError(RuntimeError):
    """A module set that cannot load: missing dependency, cycle, duplicate name, bad declaration."""


@dataclass(frozen=True)
class Permission:
    """One resource/action a module defines; `label` is an English msgid in the module's catalog."""

    resource: str
    action: str
    label: str

    @property
    def key(self) -> str:
        return f"{self.resource}:{self.action}"


@dataclass(frozen=True)
class GraphQLContribution:
    """Strawberry classes a module adds to the composed schema.

    `extends` maps a type name defined by another module (or the core) to classes whose fields
    are added to that type when the schema is composed: the way a module adds fields to a type
    it does not own, without the owner importing it.
    """

    queries: Sequence[type] = ()
    mutations: Sequence[type] = ()
    subscriptions: Sequence[type] = ()
    types: Sequence[type] = ()
    extends: Mapping[str, Sequence[type]] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerContribution:
    """arq functions and cron jobs; every name must start with the module's name and a dot.

    `services` are long-lived coroutines, `async def service(rt, stopping: asyncio.Event)`, that
    every worker process runs beside its queues for as long as it runs (an IMAP IDLE listener):
    started with the worker (in embedded mode, with the API process's in-process worker; not by
    `worker --burst`). When the worker stops (SIGTERM included) `stopping` is set: the service
    finishes what it is doing, releases what it holds and returns, within a few seconds; one still
    running after workers.services.STOP_GRACE is cancelled. (Stopping by an event, not by
    cancelling: a task cancelled inside a database call can leave the connection locked.) A
    service coordinates with the other worker processes itself (a lease)."""

    functions: Sequence[Any] = ()
    cron_jobs: Sequence[Any] = ()
    event_handlers: Mapping[str, Sequence[Callable[..., Any]]] = field(default_factory=dict)
    services: Sequence[Callable[[Any, Any], Awaitable[None]]] = ()


def _load(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Module:
    """An installable add-on. Heavy parts are named as "package.module:attr" and loaded lazily."""

    name: str
    version: str
    summary: str
    package: str
    depends: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()
    graphql: str | None = None
    worker: str | None = None
    demo: str | None = None
    # "package.module:attr" of `async def start_up(rt, process)`, awaited once per process when it
    # starts serving (process is "api" for the API, embedded mode included, or "worker"). It must
    # return at once: slow preparation (loading models) goes to a thread of its own, so the
    # process answers /health and requests meanwhile.
    startup: str | None = None
    # "package.module:attr" of a sequence of `core.channels.ChannelKind` (messages in and out).
    channels: str | None = None
    # "package.module:attr" of a sequence of Starlette routes, each under "/<module name>/"
    # (webhooks: a provider posts there without a staff login, so the route checks its own secret).
    routes: str | None = None
    # "package.module:attr" of a `core.automation.AutomationContribution`: the triggers (events) and
    # actions the module offers tenants' rules.
    automation: str | None = None
    has_models: bool = True

    @property
    def models_module(self) -> str:
        return f"{self.package}.models"

    @property
    def migrations_module(self) -> str:
        return f"{self.package}.migrations"

    @property
    def root(self) -> Path:
        return Path(str(files(self.package)))

    @property
    def security_csv(self) -> Path:
        return self.root / "security.csv"

    @property
    def locale_dir(self) -> Path:
        return self.root / "locale"

    def load_graphql(self) -> GraphQLContribution:
        return _load(self.graphql) if self.graphql else GraphQLContribution()

    async def load_demo(self, tenant_id: int) -> None:
        """Add the module's demo data to a tenant (embedded mode and `sellercare demo`)."""
        if self.demo:
            await _load(self.demo)(tenant_id)

    def load_startup(self) -> Callable[[Any, str], Awaitable[None]] | None:
        return _load(self.startup) if self.startup else None

    def load_channels(self) -> Sequence[Any]:
        return _load(self.channels) if self.channels else ()

    def load_automation(self) -> AutomationContribution | None:
        """The module's `core.automation.AutomationContribution` (None when it declares none)."""
        return _load(self.automation) if self.automation else None

    def load_routes(self) -> Sequence[Any]:
        """The module's HTTP routes; a path outside "/<name>/" is a start-up error."""
        routes = _load(self.routes) if self.routes else ()
        for route in routes:
            path = getattr(route, "path", "")
            if not path.startswith(f"/{self.name}/"):
                raise RegistryError(f"module {self.name!r} defines route {path!r}: module routes must "
                                    f"start with '/{self.name}/'")
        return routes

    def load_worker(self) -> WorkerContribution:
        return _load(self.worker) if self.worker else WorkerContribution()


class Registry:
    """The modules found in this environment, by name."""

    def __init__(self, modules: Iterable[Module]):
        self.modules: dict[str, Module] = {}
        for module in modules:
            if module.name in self.modules:
                raise RegistryError(f"two modules are named {module.name!r}")
            if "." in module.name or not module.name.isidentifier():
                raise RegistryError(f"module name {module.name!r} must be a Python identifier")
            self.modules[module.name] = module

    @classmethod
    def discover(cls, group: str = ENTRY_POINT_GROUP) -> Registry:
        found: list[Module] = []
        for ep in entry_points(group=group):
            module = ep.load()
            if not isinstance(module, Module):
                raise RegistryError(f"entry point {ep.name!r} ({ep.value}) is not a sellercare Module")
            if module.name != ep.name:
                raise RegistryError(
                    f"entry point {ep.name!r} declares a module named {module.name!r}"
                )
            found.append(module)
        return cls(found)

    def __getitem__(self, name: str) -> Module:
        try:
            return self.modules[name]
        except KeyError:
            raise RegistryError(f"no module named {name!r} is available") from None

    def resolve(self, names: Iterable[str]) -> list[Module]:
        """The named modules and all their dependencies, dependencies first."""
        graph: dict[str, tuple[str, ...]] = {}
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in graph:
                continue
            module = self[name]
            for dep in module.depends:
                if dep not in self.modules:
                    raise RegistryError(
                        f"module {name!r} depends on {dep!r}, which is not available"
                    )
            graph[name] = module.depends
            pending.extend(module.depends)
        try:
            order = list(TopologicalSorter(graph).static_order())
        except CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise RegistryError(f"module dependency cycle: {cycle}") from None
        return [self.modules[n] for n in order]

    def dependents(self, name: str, among: Iterable[str]) -> list[str]:
        """Modules in `among` that depend on `name`, directly or not."""
        result = []
        for other in among:
            if other != name and name in {m.name for m in self.resolve([other])}:
                result.append(other)
        return sorted(result)
