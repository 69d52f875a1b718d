"""What a query asks of the nodes of a connection, so that a list resolver can load it for the
whole page at once (`prefetch`) and its nodes' fields resolve without awaiting (`prefetched_or`).

On a page of 100 customers, each of `emails`, `addresses` and `recentOrders` as an async field
costs 100 coroutines, 100 DataLoader futures and the tasks graphql-core gathers them in; loaded
up front from the list's resolver, the same statements run once and the fields are plain reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _fields(selections: Iterable[Selection]) -> list[SelectedField]:
    """The fields of a selection set, fragments (named or inline) flattened."""
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.append(selection)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            found += _fields(selection.selections)
    return found


def node_fields(info: Info) -> dict[str, list[SelectedField]]:
    """The fields selected on the nodes of the connection this resolver returns (`edges { node }`
    and `nodes`), by field name; a field asked twice (with aliases, other arguments) is listed
    twice. Directives are not evaluated: a field under `@skip` is loaded for nothing, never missed."""
    by_name: dict[str, list[SelectedField]] = {}
    for connection in _fields(info.selected_fields):
        for part in _fields(connection.selections):
            nodes = ([n for e in [part] for n in _fields(e.selections) if n.name == "node"]
                     if part.name == "edges" else [part] if part.name == "nodes" else [])
            for node in nodes:
                for field in _fields(node.selections):
                    by_name.setdefault(field.name, []).append(field)
    return by_name


def int_argument(field: SelectedField, name: str, default: int) -> int | None:
    """An Int argument as the query gave it: a literal comes as its text, a variable as its value;
    None when it is no whole number (the field itself then reports it)."""
    value = field.arguments.get(name, default)
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# A fill loads one field for a whole page of nodes and stores it in each node's `prefetched`.
Fill = Callable[[Info, Sequence[Any], list[SelectedField]], Awaitable[None]]


async def prefetch(info: Info, nodes: Sequence[Any], fills: Mapping[str, Fill]) -> None:
    """Run, all at once, the fills of the fields the query selects on these nodes."""
    if not nodes:
        return
    fields = node_fields(info)
    await asyncio.gather(*(fill(info, nodes, fields[name]) for name, fill in fills.items() if name in fields))


def prefetched_or(prefetched: Mapping[Any, Any], key: Any, one_by_one: Callable[[], Awaitable[Any]]) -> Any:
    """What a fill stored under `key`, else the awaitable of the one-node way: a sync resolver
    returns either (graphql-core awaits an awaitable a resolver returns)."""
    return prefetched[key] if key in prefetched else one_by_one()
