"""core.graphql.executor: leaf fields read directly give exactly what graphql-core's ordinary way
gives, errors included, and the short cut is really taken (or not) where it should be."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from core.graphql import executor
from core.graphql.executor import FastLeafExecutor


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    size: int | None
    price: Decimal
    at: datetime
    colour: Colour
    must: str  # the tests put None here: a non-null field that breaks
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


def items() -> list[Item]:
    at = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
    return [Item(name="mug", size=None, price=Decimal("9.90"), at=at, colour=Colour.RED, must="x", row={}),
            Item(name="cup", size=3, price=Decimal("0.5"), at=at, colour=Colour.BLUE, must="y", row={})]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return items()

    @strawberry.field
    def broken(self) -> list[Item | None]:
        item = items()[0]
        item.must = None  # type: ignore[assignment]
        return [item, items()[1]]

    @strawberry.field
    def wrong_size(self) -> Item:
        item = items()[0]
        item.size = "not a number"  # type: ignore[assignment]
        return item


class Upper(SchemaExtension):
    """A middleware: with one, every field goes the ordinary way."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        result = _next(root, info, *args, **kwargs)
        return result.upper() if isinstance(result, str) else result


QUERIES = (
    "{ items { name size price at colour must shout(times: 2) alias: name __typename } }",
    "{ broken { name must } }",
    "{ wrongSize { name size } }",
    "{ items { ...F } } fragment F on Item { name @skip(if: true) size @include(if: true) }",
)


def run(query: str, fast: bool, extensions: list[Any] | None = None) -> Any:
    schema = strawberry.Schema(Query, extensions=extensions or [],
                               execution_context_class=FastLeafExecutor if fast else None)
    result = schema.execute_sync(query)
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
def test_the_short_cut_answers_what_graphql_core_answers(query: str) -> None:
    assert run(query, fast=True) == run(query, fast=False)


def test_errors_of_leaves_are_those_of_the_ordinary_way() -> None:
    data, errors = run(QUERIES[1], fast=True)
    assert data == {"broken": [None, {"name": "cup", "must": "y"}]}
    assert errors == [("Cannot return null for non-nullable field Item.must.", ["broken", 0, "must"])]
    data, errors = run(QUERIES[2], fast=True)
    assert data == {"wrongSize": {"name": "mug", "size": None}} and [path for _, path in errors] == [
        ["wrongSize", "size"]]


def test_leaves_are_read_directly_and_others_go_the_ordinary_way(monkeypatch: pytest.MonkeyPatch) -> None:
    ordinary: list[str] = []
    base = executor.StrawberryGraphQLCoreExecutionContext.execute_field

    def counting(self: Any, parent_type: Any, source: Any, details: Any, path: Any, position: Any) -> Any:
        ordinary.append(f"{parent_type.name}.{details[0].node.name.value}")
        return base(self, parent_type, source, details, path, position)

    monkeypatch.setattr(executor.StrawberryGraphQLCoreExecutionContext, "execute_field", counting)
    run(QUERIES[0], fast=True)
    # The root field (a resolver), the field with arguments and the meta field; no leaf.
    assert sorted(set(ordinary)) == ["Item.__typename", "Item.shout", "Query.items"]
    ordinary.clear()
    data, _ = run("{ items { name } }", fast=True, extensions=[Upper])
    assert data == {"items": [{"name": "MUG"}, {"name": "CUP"}]}  # the middleware saw every field
    assert ordinary.count("Item.name") == 2
