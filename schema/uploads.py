"""Which operations may come as a multipart request: only those that take an `Upload`.

A multipart POST is a "simple" request a browser sends cross-site without a preflight; serving
every operation that way widens what such a form could reach (and skips the JSON content-type
check). An operation qualifies when one of its variables is an `Upload`, or an input object that
holds one at any depth.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLSchema,
    ListTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    TypeNode,
    get_named_type,
    parse,
)


def upload_types(schema: GraphQLSchema) -> frozenset[str]:
    """`Upload` and every input type that holds one, directly or through another input type."""
    found = {"Upload"} if "Upload" in schema.type_map else set()
    inputs = [t for t in schema.type_map.values() if isinstance(t, GraphQLInputObjectType)]
    grew = bool(found)
    while grew:
        grew = False
        for kind in inputs:
            if kind.name not in found and any(get_named_type(f.type).name in found for f in kind.fields.values()):
                found.add(kind.name)
                grew = True
    return frozenset(found)


def _named(node: TypeNode) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    return node.name.value  # type: ignore[attr-defined]


def takes_upload(operations: dict[str, Any], uploads: frozenset[str], max_tokens: int) -> bool:
    try:
        document = parse(operations["query"], max_tokens=max_tokens)
    except GraphQLError:
        return False
    wanted = operations.get("operationName")
    chosen = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
              and (wanted is None or (d.name is not None and d.name.value == wanted))]
    if len(chosen) != 1:
        return False
    return any(_named(v.type) in uploads for v in chosen[0].variable_definitions or ())
