"""Field paths of payload errors in the API's own names.

Services name fields as Python does (`first_name`, `lines.0.unit_price`); a client sent
`firstName` and `lines[0].unitPrice`. The path is walked along the mutation's arguments (a path
that does not start with an argument is inside `input`): a segment that names an argument or an
input field, in snake_case or already in camelCase, becomes its GraphQL name and the walk goes into
that field's type; list indexes stay; anything else (a custom field's key, a CSV column, a JSON
key) is left as the service wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLInputObjectType, get_named_type
from strawberry.types import Info


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _fields(graphql_type: Any) -> Mapping[str, Any]:
    named = get_named_type(graphql_type)
    return named.fields if isinstance(named, GraphQLInputObjectType) else {}


def api_path(info: Info, path: Sequence[str]) -> list[str]:
    raw = info._raw_info
    field = raw.parent_type.fields.get(raw.field_name)
    fields: Mapping[str, Any] = field.args if field is not None else {}
    if path and path[0] not in fields and camel(path[0]) not in fields and "input" in fields:
        fields = _fields(fields["input"].type)
    out: list[str] = []
    for segment in path:
        if segment.isdigit():  # a list index: the same element type goes on
            out.append(segment)
            continue
        name = segment if segment in fields else camel(segment)
        if name in fields:
            out.append(name)
            fields = _fields(fields[name].type)
        else:
            out.append(segment)
            fields = {}
    return out
