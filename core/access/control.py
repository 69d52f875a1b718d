"""Permission checks with a bounded cache that never serves a stale answer after a change.

casbin stays the model and the source of truth, but a plain `Enforcer.enforce()` scans every
rule of the domain (milliseconds per check). So each tenant's enforcer is built on demand from
its rows, and what it answers for a user (`get_implicit_permissions_for_user`) is kept as a set:
a check is then a set lookup. Tenants are kept in an LRU of bounded size with a TTL.

Invalidation: a policy change bumps the tenant's generation locally and is published over Redis
(`core.access.watcher`) so every other API and worker process drops it too. A load that started
before an invalidation is not cached (the generation check), so a racing reader can never
re-insert rules older than the change. A miss inside a transaction (an idempotent mutation's)
reads through that transaction and is not cached: what it read may yet roll back.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import casbin

from core.access.enforcer import build_enforcer, load_rows
from core.access.subjects import domain, user_subject
from core.sql import transaction_open

Loader = Callable[[int], Awaitable[list[tuple[str, str, str, str, str]]]]


@dataclass
class _TenantPolicies:
    enforcer: casbin.Enforcer
    loaded_at: float
    users: dict[int, frozenset[tuple[str, str]]] = field(default_factory=dict)


class AccessControl:
    def __init__(self, max_tenants: int = 2_000, ttl: float = 300.0, loader: Loader = load_rows):
        self.max_tenants = max_tenants
        self.ttl = ttl
        self._loader = loader
        self._tenants: OrderedDict[int, _TenantPolicies] = OrderedDict()
        self._generation: dict[int, int] = {}
        self._global_generation = 0
        self._loading: dict[tuple[int, int, int], asyncio.Task[_TenantPolicies]] = {}
        self.loads = 0  # how many tenant loads hit the database (for tests and benchmarks)

    def _gen(self, tenant_id: int) -> tuple[int, int]:
        return self._global_generation, self._generation.get(tenant_id, 0)

    def invalidate(self, tenant_id: int | None = None) -> None:
        """Forget one tenant's policies, or all of them (None: default roles changed)."""
        if tenant_id is None:
            self._global_generation += 1
            self._tenants.clear()
        else:
            self._generation[tenant_id] = self._generation.get(tenant_id, 0) + 1
            self._tenants.pop(tenant_id, None)

    async def _tenant(self, tenant_id: int) -> _TenantPolicies:
        entry = self._tenants.get(tenant_id)
        if entry is not None and time.monotonic() - entry.loaded_at < self.ttl:
            self._tenants.move_to_end(tenant_id)
            return entry
        key = (tenant_id, *self._gen(tenant_id))
        if transaction_open():
            # Inside a transaction (an idempotent mutation's), read through it, and neither share
            # the load nor cache it: on SQLite a load shared from outside waits for this
            # transaction's connection for ever, and rows read here may yet roll back.
            return await self._load(key, cache=False)
        # Concurrent misses of the same generation share one load, run as its own task so that a
        # cancelled caller (a client that went away) cancels nobody else. A load started before an
        # invalidation is neither shared with later callers nor cached.
        task = self._loading.get(key)
        if task is None:
            task = asyncio.create_task(self._load(key), name=f"policy-load-{tenant_id}")
            self._loading[key] = task
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        return await asyncio.shield(task)

    async def _load(self, key: tuple[int, int, int], cache: bool = True) -> _TenantPolicies:
        tenant_id = key[0]
        rows = await self._loader(tenant_id)
        self.loads += 1
        entry = _TenantPolicies(build_enforcer(rows, tenant_id), time.monotonic())
        if cache and key == (tenant_id, *self._gen(tenant_id)):
            self._tenants[tenant_id] = entry
            self._tenants.move_to_end(tenant_id)
            while len(self._tenants) > self.max_tenants:
                self._tenants.popitem(last=False)
        return entry

    async def permissions(self, user_id: int, tenant_id: int) -> frozenset[tuple[str, str]]:
        """Every (resource, action) the user holds in the tenant, through all its roles."""
        entry = await self._tenant(tenant_id)
        perms = entry.users.get(user_id)
        if perms is None:
            rules = entry.enforcer.get_implicit_permissions_for_user(
                user_subject(user_id), domain(tenant_id)
            )
            perms = frozenset((rule[2], rule[3]) for rule in rules)
            entry.users[user_id] = perms
        return perms

    async def allowed(self, user_id: int, tenant_id: int, resource: str, action: str) -> bool:
        return (resource, action) in await self.permissions(user_id, tenant_id)

    async def roles(self, user_id: int, tenant_id: int) -> list[str]:
        entry = await self._tenant(tenant_id)
        return list(
            entry.enforcer.get_roles_for_user_in_domain(user_subject(user_id), domain(tenant_id))
        )
