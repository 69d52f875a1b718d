"""Keyset (cursor) pagination: `first`/`after` over an ordering that always ends with the id.

Never OFFSET: page 1,000 costs what page 1 costs. A cursor holds the last row's sort value and
id; the next page is `WHERE (key, id) > (value, id)` (or `<` when descending).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core.errors import ClientError
from core.i18n import N_

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class Ordering:
    field: str
    descending: bool = False


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, locale: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if isinstance(value, dict) and set(value) == {"dt"}:
            value = datetime.fromisoformat(value["dt"])
        if not isinstance(pk, int) or isinstance(value, list | dict):
            raise ValueError
        return value, pk
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ClientError("INVALID_CURSOR", N_("The cursor is not valid."), locale) from None


def page_size(first: int | None, default: int, maximum: int, locale: str) -> int:
    if first is None:
        return default
    if first < 0 or first > maximum:
        raise ClientError(
            "INVALID_PAGE_SIZE", N_("first must be between 0 and {max}."), locale, max=maximum
        )
    return first


async def paginate(
    queryset: QuerySet[Any],
    *,
    first: int,
    after: str | None,
    ordering: Ordering,
    to_node: Callable[[Any], T],
    locale: str = "en",
) -> Connection[T]:
    key, desc = ordering.field, ordering.descending
    if after:
        value, pk = _decode(after, locale)
        op = "lt" if desc else "gt"
        if key == "id":
            queryset = queryset.filter(**{f"id__{op}": pk})
        else:
            after_value: dict[str, Any] = {f"{key}__{op}": value}
            same_value: dict[str, Any] = {key: value}
            after_id: dict[str, Any] = {f"id__{op}": pk}
            # The bound `key <= value` (`>=` ascending) repeats what the OR implies, so that the
            # database can start its index range scan at the cursor: without it a deep page walked
            # and discarded every row before it (53 ms at 49,900 customers; 0.7 ms with it).
            bound: dict[str, Any] = {f"{key}__{op}e": value}
            queryset = queryset.filter(Q(**bound), Q(**after_value) | (Q(**same_value) & Q(**after_id)))
    rows = await queryset.order_by(*order_by(ordering)).limit(first + 1)
    return connection_of(rows, first=first, after=after, ordering=ordering, to_node=to_node)


def order_by(ordering: Ordering) -> list[str]:
    """The ORM ordering of a page: the key, then the id (unless the key is the id)."""
    prefix = "-" if ordering.descending else ""
    return [f"{prefix}{ordering.field}"] + ([f"{prefix}id"] if ordering.field != "id" else [])


def decode_after(after: str | None, locale: str) -> tuple[Any, int] | None:
    return None if not after else _decode(after, locale)


def connection_of(rows: list[Any], *, first: int, after: str | None, ordering: Ordering,
                  to_node: Callable[[Any], T]) -> Connection[T]:
    """The connection of a page from up to `first + 1` rows in page order (one more: a next page)."""
    key = ordering.field
    has_next = len(rows) > first
    rows = rows[:first]
    edges = [Edge(cursor=_encode(getattr(r, key), r.id), node=to_node(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
