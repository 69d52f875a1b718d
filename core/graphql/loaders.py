"""Per-request DataLoader builders, so a page of N nodes costs a fixed number of queries.

Each loader is created once per request under a key (`info.context.loader`), never shared between
requests or tenants. `fetch` functions receive the caller's tenant id first and must scope every
query by it; the model-based builders do that themselves with `core.tenancy.scoped`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar, overload

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.node import ScopedNode
from core.models.tenant import TenantModel
from core.tenancy import scoped

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _loader(info: Info, key: str, load: Callable[[list[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
    loader: DataLoader[K, V] = info.context.loader(key, lambda: DataLoader(load_fn=load))
    return loader


@overload
def loader_by_key(info: Info, key: str, fetch: Callable[[int, list[K]], Awaitable[Mapping[K, V]]]
                  ) -> DataLoader[K, V | None]: ...


@overload
def loader_by_key(info: Info, key: str, fetch: Callable[[int, list[K]], Awaitable[Mapping[K, V]]], default: V
                  ) -> DataLoader[K, V]: ...


def loader_by_key(info: Info, key: str, fetch: Callable[[int, list[K]], Awaitable[Mapping[K, V]]],
                  default: V | None = None) -> DataLoader[K, Any]:
    """One value per key from the mapping `fetch` returns; `default` for the keys it lacks."""
    tenant_id = info.context.tenant_id

    async def load(keys: list[K]) -> list[V | None]:
        found = await fetch(tenant_id, keys)
        return [found.get(k, default) for k in keys]

    return _loader(info, key, load)


def loader_by_id(info: Info, key: str, fetch: Callable[[int, list[int]], Awaitable[Iterable[Any]]]
                 ) -> DataLoader[int, Any]:
    """The row `fetch` returns for each id (None when it is gone or another tenant's)."""
    async def by_pk(tenant_id: int, ids: list[int]) -> dict[int, Any]:
        return {row.pk: row for row in await fetch(tenant_id, ids)}

    return loader_by_key(info, key, by_pk)


def loader_grouped(info: Info, key: str, fetch: Callable[[int, list[K]], Awaitable[Iterable[tuple[K, V]]]]
                   ) -> DataLoader[K, list[V]]:
    """Per key, the items `fetch` pairs with it, in the order it returns them (empty list: none)."""
    tenant_id = info.context.tenant_id

    async def load(keys: list[K]) -> list[list[V]]:
        found: dict[K, list[V]] = defaultdict(list)
        for owner, item in await fetch(tenant_id, keys):
            found[owner].append(item)
        return [found[k] for k in keys]

    return _loader(info, key, load)


def _name(model: type[TenantModel]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


def rows_by_id(info: Info, model: type[TenantModel]) -> DataLoader[int, Any]:
    """Rows of `model` by primary key within the caller's tenant (None: gone or another tenant's)."""
    async def fetch(tenant_id: int, ids: list[int]) -> list[Any]:
        return list(await scoped(model, tenant_id).filter(id__in=ids))

    return loader_by_id(info, f"rows_by_id:{_name(model)}", fetch)


def rows_grouped(info: Info, model: type[TenantModel], column: str, order: tuple[str, ...] = ("id",),
                 related: tuple[str, ...] = (), where: Mapping[str, Any] | None = None) -> DataLoader[int, list[Any]]:
    """Rows of `model` in the caller's tenant whose `column` is one of the keys (and that match the
    `where` filters), grouped by it, in `order`, with the `related` foreign keys fetched in the same
    query."""
    filters = dict(where or {})

    async def fetch(tenant_id: int, keys: list[int]) -> list[tuple[int, Any]]:
        query = scoped(model, tenant_id).filter(**{f"{column}__in": keys}, **filters).order_by(*order)
        rows = await (query.select_related(*related) if related else query)
        return [(getattr(row, column), row) for row in rows]

    key = (f"rows_grouped:{_name(model)}.{column}:{','.join(order)}:{','.join(related)}:"
           f"{sorted(filters.items())}")
    return loader_grouped(info, key, fetch)


N = TypeVar("N", bound=ScopedNode)


async def load_node(loader: DataLoader[int, Any], key: int | None, node_type: type[N]) -> N | None:
    """The node of the row `loader` finds for `key`; None when there is no key or no such row."""
    if key is None:
        return None
    row = await loader.load(key)
    return None if row is None else node_type.from_row(row)
