"""A kind of per-tenant setting row (priority and routing rules, SLA policies, escalation rules) read,
written and audited the same way: every write runs in one transaction with its audit entry, whose
before/after are snapshots of the kind's fields, so the history reads alike for every kind.

`SettingsTable` has the parts every kind shares; `CheckedTable` adds create and update for kinds
whose service validates the merged whole row (defaults or the current row, plus what is given).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.models.tenant import TenantModel
from core.tenancy import scoped
from modules.aftersales.services.errors import aftersales_error

# (tenant id, the whole row's values, the id of the row being updated or None) -> the values to store;
# raises UserFacingErrors with every mistake.
Validator = Callable[[int, dict[str, Any], int | None], Awaitable[dict[str, Any]]]
M = TypeVar("M", bound=TenantModel)


@dataclass(frozen=True)
class SettingsTable(Generic[M]):
    """One kind of setting: its model, its audit name, the fields an audit entry shows and the
    message (an msgid) when an id names no row of the tenant."""

    model: type[M]
    label: str  # "sla_policy" -> audit actions sla_policy.create, sla_policy.update, ...
    fields: tuple[str, ...]
    not_found: str

    def snapshot(self, row: M) -> dict[str, Any]:
        return {f: getattr(row, f) for f in self.fields}

    async def get(self, tenant_id: int, row_id: int) -> M:
        row = await scoped(self.model, tenant_id).filter(id=row_id).first()
        if row is None:
            raise aftersales_error("NOT_FOUND", self.not_found, ["id"])
        return row

    async def created(self, actor: Principal, values: Mapping[str, Any]) -> M:
        """Insert and audit a checked row; the caller holds the transaction."""
        tid = actor.tenant_id
        row = await self.model.create(tenant_id=tid, **values)
        await audit.record(actor, tid, f"{self.label}.create", self.model.__name__, row.pk, None,
                           self.snapshot(row))
        return row

    async def merged(self, tenant_id: int, row_id: int, before: dict[str, Any],
                     changes: Mapping[str, Any]) -> dict[str, Any]:
        """The values an update stores; here the changes as given (already checked by the caller)."""
        return dict(changes)

    async def changed(self, actor: Principal, row_id: int, changes: Mapping[str, Any]) -> M:
        tid = actor.tenant_id
        async with in_transaction():
            row = await self.get(tid, row_id)
            before = self.snapshot(row)
            row.update_from_dict(await self.merged(tid, row.pk, before, changes))
            await row.save()
            await audit.record(actor, tid, f"{self.label}.update", self.model.__name__, row.pk, before,
                               self.snapshot(row))
        return row

    async def delete(self, actor: Principal, row_id: int) -> None:
        tid = actor.tenant_id
        async with in_transaction():
            row = await self.get(tid, row_id)
            await row.delete()
            await audit.record(actor, tid, f"{self.label}.delete", self.model.__name__, row_id,
                               self.snapshot(row), None)


@dataclass(frozen=True, kw_only=True)
class CheckedTable(SettingsTable[M]):
    """A kind whose create merges `defaults` and whose update merges the current row before `validate`
    checks the whole; at most `max_rows` rows per tenant (`too_many` is the msgid, with {max})."""

    defaults: Mapping[str, Any]
    validate: Validator
    max_rows: int
    too_many: str

    async def create(self, actor: Principal, values: Mapping[str, Any]) -> M:
        tid = actor.tenant_id
        async with in_transaction():
            if await scoped(self.model, tid).count() >= self.max_rows:
                raise aftersales_error("TOO_MANY", self.too_many, ["name"], max=self.max_rows)
            data = await self.validate(tid, {**self.defaults, **values}, None)
            return await self.created(actor, {k: data[k] for k in self.fields})

    async def merged(self, tenant_id: int, row_id: int, before: dict[str, Any],
                     changes: Mapping[str, Any]) -> dict[str, Any]:
        data = await self.validate(tenant_id, {**before, **changes}, row_id)
        return {k: data[k] for k in self.fields}

    async def rows(self, tenant_id: int) -> list[M]:
        """The tenant's rows in the order they apply."""
        return await scoped(self.model, tenant_id).order_by("position", "id").limit(self.max_rows)
