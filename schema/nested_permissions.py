"""One rule for data behind a permission, whatever path reaches it.

A Node type declares the permission that reading it needs (`ScopedNode.read_permission`; another
type may declare the one its only ways in already need). Root fields and `node(id:)` check it; so
must every other field that leads to it: `returns { customer }`
shows a customer exactly to those who may read customers, `customer { tickets }` shows tickets
exactly to those who may read tickets. At start-up every field of every object type that returns
such a type, a list of it or a connection of it, under a parent that does not already need the
same permission, is wrapped with the check (a mutation's payload is not: it returns what the
mutation changed to the caller the mutation let change it). Without the permission the field is null with a
FORBIDDEN error at its path; its parent and the field's siblings are unaffected. Such a field must
therefore be nullable: a non-null one is a start-up error that names it.

A field that must not be guarded (the caller's own user in `viewer`) says so with
`strawberry.field(metadata={UNGUARDED: "why"})`.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import isawaitable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from core.graphql.node import ScopedNode
from core.graphql.permissions import UNGUARDED, check
from core.registry import RegistryError


def _origin(graphql_type: Any) -> Any:
    return getattr((getattr(graphql_type, "extensions", None) or {}).get("strawberry-definition"), "origin", None)


def _is_connection(kind: GraphQLObjectType) -> bool:
    return "edges" in kind.fields and "pageInfo" in kind.fields


def _is_edge(kind: GraphQLObjectType) -> bool:
    return "cursor" in kind.fields and "node" in kind.fields


def _is_payload(kind: GraphQLObjectType) -> bool:
    """A mutation's payload returns what the mutation changed to the caller it let change it."""
    return "errors" in kind.fields and get_named_type(kind.fields["errors"].type).name == "UserError"


def _node_class(graphql_type: Any) -> type[ScopedNode] | None:
    named = get_named_type(graphql_type)
    if isinstance(named, GraphQLObjectType) and _is_connection(named):
        edge = get_named_type(named.fields["edges"].type)
        named = get_named_type(edge.fields["node"].type) if isinstance(edge, GraphQLObjectType) else None
    origin = _origin(named)
    if isinstance(origin, type) and issubclass(origin, ScopedNode) and hasattr(origin, "read_permission"):
        return origin
    return None


def _guard(field: GraphQLField, resource: str, action: str) -> None:
    original: Callable[..., Any] = field.resolve or default_field_resolver

    async def guarded(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        await check(info, resource, action)  # type: ignore[arg-type]
        result = original(source, info, **kwargs)
        return await result if isawaitable(result) else result

    field.resolve = guarded


def guard_nested_fields(schema: GraphQLSchema) -> list[str]:
    """Wrap every field that leads to data behind another permission; the list of them, for docs."""
    roots = {t.name for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t}
    guarded = []
    for type_name, kind in schema.type_map.items():
        if not isinstance(kind, GraphQLObjectType) or type_name in roots or type_name.startswith("__") \
                or _is_connection(kind) or _is_edge(kind) or _is_payload(kind):
            continue
        # Any type may say which permission reaching it already needs (a node type always does).
        parent_permission = getattr(_origin(kind), "read_permission", None)
        for name, field in kind.fields.items():
            target = _node_class(field.type)
            if target is None or target.read_permission == parent_permission:
                continue
            strawberry_field = (field.extensions or {}).get("strawberry-definition")
            if UNGUARDED in (getattr(strawberry_field, "metadata", None) or {}):
                continue
            if isinstance(field.type, GraphQLNonNull):
                resource, action = target.read_permission
                raise RegistryError(
                    f"GraphQL field {type_name}.{name} leads to {get_named_type(field.type).name}, which needs "
                    f"{resource}:{action}: make it nullable, so that without the permission it is null with "
                    "an error at its path")
            _guard(field, *target.read_permission)
            guarded.append(f"{type_name}.{name} ({':'.join(target.read_permission)})")
    return guarded



