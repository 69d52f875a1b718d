"""Refuse a request whose strings hold characters no text may (core.text), before it runs.

Literals in the document are checked by a validation rule (cached with the document); variables,
JSON values included, by an extension before execution. The error carries `INVALID_TEXT`, the
path of the value in the API's own names (`input.firstName`, `$input.note`) and the code point,
never the value itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    ObjectFieldNode,
    StringValueNode,
    ValidationRule,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from core.i18n import N_
from core.text import codepoint, forbidden_character

INVALID_TEXT = N_("{field} contains a character that text may not hold ({char}).")


def invalid_text(path: list[str | int], char: str, nodes: Any = None) -> GraphQLError:
    field = ".".join(str(p) for p in path)
    params = {"field": field, "char": codepoint(char)}
    error = GraphQLError(INVALID_TEXT.format(**params), nodes,
                         extensions={"code": "INVALID_TEXT", "field": [str(p) for p in path]})
    error.msgid, error.params = INVALID_TEXT, params  # type: ignore[attr-defined]
    return error


class LiteralTextRule(ValidationRule):
    """String literals anywhere in the document (arguments, input objects, JSON values)."""

    def enter_string_value(self, node: StringValueNode, _key: Any, parent: Any, _path: Any,
                           ancestors: list[Any]) -> None:
        char = forbidden_character(node.value)
        if char is None:
            return
        path: list[str | int] = []
        for ancestor in [*ancestors, parent]:
            if isinstance(ancestor, (ArgumentNode, ObjectFieldNode)):
                path.append(ancestor.name.value)
        self.report_error(invalid_text(path or ["query"], char, node))


def _walk(value: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(value, str):
        char = forbidden_character(value)
        if char is not None:
            yield path, char
    elif isinstance(value, dict):
        for key, item in value.items():
            char = forbidden_character(key) if isinstance(key, str) else None
            if char is not None:
                yield [*path, "(key)"], char
            yield from _walk(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, [*path, index])


class VariableText(SchemaExtension):
    """Variables are only known per request: checked before execution, which then never starts."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables or {}
        errors = [invalid_text(path, char) for path, char in _walk(variables, [])]
        if errors:
            context.result = GraphQLExecutionResult(data=None, errors=errors[:10])
        yield
