"""What a query asks of the nodes of a connection, so that a list resolver can load it for the
whole page at once and its nodes' fields resolve without awaiting (core.graphql.prefetched).

On a page of 100 customers, each of `emails`, `addresses` and `recentOrders` as an async field
costs 100 coroutines, 100 DataLoader futures and the tasks graphql-core gathers them in; loaded
up front from the list's resolver, the same statements run once and the fields are plain reads.
"""

from __future__ import annotations

from collections.abc import Iterable

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
