"""Count the SQL statements run while a block executes (for constant-query-count assertions)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tortoise import connections


@contextlib.contextmanager
def count_queries() -> Iterator[list[str]]:
    client_class = type(connections.get("default"))
    seen: list[str] = []
    originals: dict[str, Any] = {}
    for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
        original = getattr(client_class, name)
        originals[name] = original

        def make(orig: Any) -> Any:
            async def wrapper(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                seen.append(query)
                return await orig(self, query, *args, **kwargs)
            return wrapper

        setattr(client_class, name, make(original))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(client_class, name, original)
