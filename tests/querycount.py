"""Count the SQL statements one block of code runs (for constant-query-count assertions).

Only statements issued from this task's context, and from tasks it starts (DataLoader batches,
the in-process HTTP app), are counted: the app's own background tasks (the outbox relay cron, the
policy watcher) started earlier in other contexts and are left out, so the count is stable.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from tortoise import connections

_sink: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("querycount_sink", default=None)
_values: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("querycount_values", default=None)


@contextlib.contextmanager
def record_queries() -> Iterator[list[tuple[str, Any]]]:
    """Like count_queries, with each statement's bound values: (sql, values or None)."""
    values: list[Any] = []
    token = _values.set(values)
    pairs: list[tuple[str, Any]] = []
    try:
        with count_queries() as seen:
            yield pairs
    finally:
        _values.reset(token)
        pairs.extend(zip(seen, values, strict=True))


@contextlib.contextmanager
def count_queries() -> Iterator[list[str]]:
    client_class = type(connections.get("default"))
    seen: list[str] = []
    token = _sink.set(seen)
    originals: dict[str, Any] = {}
    for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
        original = getattr(client_class, name)
        originals[name] = original

        def make(orig: Any) -> Any:
            async def wrapper(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                sink = _sink.get()
                if sink is not None:
                    sink.append(query)
                    values = _values.get()
                    if values is not None:
                        values.append(args[0] if args else None)
                return await orig(self, query, *args, **kwargs)
            return wrapper

        setattr(client_class, name, make(original))
    try:
        yield seen
    finally:
        _sink.reset(token)
        for name, original in originals.items():
            setattr(client_class, name, original)
