"""Connections nested in a list (`customers { orders(first: 5) }`), loaded for the whole page at once.

`paginate` runs one statement per call: nested in a page of 100 customers, that is 100 statements
(104 were measured for the customer page). Here every parent of the page asks one DataLoader, keyed
by the connection's arguments, and the batch is two statements whatever the page size: the ids of
each parent's first `first + 1` children (a ROW_NUMBER window partitioned by the parent column,
which the ORM cannot express; the cursor's keyset condition applies within each parent), then those
rows through the ORM, so fields are converted (and decrypted) exactly as elsewhere. The rows come in
the same order, with the same cursors, as `paginate` gives one parent at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.pagination import Connection, Ordering, connection_of, decode_after, order_by
from core.models.tenant import TenantModel
from core.sql import fetch
from core.tenancy import scoped

T = TypeVar("T")


def _column(model: type[TenantModel], field: str) -> str:
    return str(model._meta.fields_db_projection[field])


async def top_ids_per_parent(model: type[TenantModel], tenant_id: int, parent_column: str,
                             parent_ids: list[int], ordering: Ordering, limit: int,
                             after: tuple[Any, int] | None = None) -> list[int]:
    """The ids of each parent's first `limit` rows of `model` in `ordering` (after the cursor's key and
    id, when given), in one statement. Only column names of the model go into the text; every value is
    bound."""
    if not parent_ids or limit <= 0:
        return []
    table = model._meta.db_table
    parent = _column(model, parent_column)
    direction = "DESC" if ordering.descending else "ASC"
    sort = f"id {direction}"
    if ordering.field != "id":
        sort = f"{_column(model, ordering.field)} {direction}, {sort}"
    values: list[Any] = [tenant_id, *parent_ids]
    marks = ", ".join(f"{{p[{i}]}}" for i in range(1, len(parent_ids) + 1))
    where = f"tenant_id = {{p[0]}} AND {parent} IN ({marks})"
    if after is not None:
        value, pk = after
        op = "<" if ordering.descending else ">"
        n = len(values)
        if ordering.field == "id":
            where += f" AND id {op} {{p[{n}]}}"
            values.append(pk)
        else:
            key = _column(model, ordering.field)
            db_value = model._meta.fields_map[ordering.field].to_db_value(value, model)
            # The bound `key <= value` lets the index range scan start at the cursor (as in paginate).
            where += (f" AND {key} {op}= {{p[{n}]}} AND ({key} {op} {{p[{n + 1}]}}"
                      f" OR ({key} = {{p[{n + 2}]}} AND id {op} {{p[{n + 3}]}}))")
            values += [db_value, db_value, db_value, pk]
    sql = (
        f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {sort}) AS rn "  # noqa: S608
        f"FROM {table} WHERE {where}) ranked WHERE rn <= {{p[{len(values)}]}}"
    )
    return [row["id"] for row in await fetch(sql, [*values, limit])]


def paginate_nested(info: Info, model: type[TenantModel], parent_column: str, *, first: int, after: str | None,
                    ordering: Ordering) -> DataLoader[int, list[Any]]:
    """The loader of one nested connection's rows (up to `first + 1` per parent, in page order) for
    every parent asking with the same arguments in this request."""
    tenant_id = info.context.tenant_id
    cursor = decode_after(after, info.context.locale)  # a bad cursor fails before anything runs

    async def load(parent_ids: list[int]) -> list[list[Any]]:
        ids = await top_ids_per_parent(model, tenant_id, parent_column, parent_ids, ordering, first + 1, cursor)
        by_parent: dict[int, list[Any]] = defaultdict(list)
        if ids:
            for row in await scoped(model, tenant_id).filter(id__in=ids).order_by(*order_by(ordering)):
                by_parent[getattr(row, parent_column)].append(row)
        return [by_parent[p] for p in parent_ids]

    key = f"nested:{model.__module__}.{model.__qualname__}.{parent_column}:{ordering}:{first}:{after}"
    loader: DataLoader[int, list[Any]] = info.context.loader(key, lambda: DataLoader(load_fn=load))
    return loader


async def nested_connection(info: Info, model: type[TenantModel], parent_column: str, parent_id: int, *,
                            first: int, after: str | None, ordering: Ordering,
                            to_node: Callable[[Any], T]) -> Connection[T]:
    """The page of `parent_id`'s rows of `model`: what `paginate` returns for
    `scoped(model).filter(<parent_column>=parent_id)`, batched with every other parent of the page."""
    rows = await paginate_nested(info, model, parent_column, first=first, after=after, ordering=ordering
                                 ).load(parent_id)
    return connection_of(rows, first=first, after=after, ordering=ordering, to_node=to_node)
