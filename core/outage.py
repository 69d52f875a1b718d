"""Telling "the database (or Redis) is unreachable right now" from a bug.

A client that gets `SERVICE_UNAVAILABLE` (with `retryable: true`) knows to retry after a pause (a
mutation whose transaction failed was rolled back); a load balancer reads the same from `/health`.
A bug stays `Internal error.`.
"""

from __future__ import annotations

import asyncio

from tortoise.exceptions import DBConnectionError

from core.i18n import N_

UNAVAILABLE = N_("The service is briefly unavailable. Try again in a few seconds.")
# SQLSTATE classes of a server that is going away, refusing connections or out of them, and a
# statement cancelled by its timeout; "55000": the database does not accept connections now.
_SQLSTATE_PREFIXES = ("08", "53", "57")
_SQLSTATES = ("55000",)


def is_outage(exc: BaseException | None) -> bool:
    """Whether `exc`, or what caused it, says a backing service is unreachable or overloaded."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError, DBConnectionError)):
            return True
        if isinstance(exc, OSError) and exc.errno is not None:
            return True  # connection refused, host unreachable, broken pipe
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str) and (state.startswith(_SQLSTATE_PREFIXES) or state in _SQLSTATES):
            return True
        if type(exc).__module__.startswith("asyncpg") and type(exc).__name__ in (
                "InterfaceError", "ConnectionDoesNotExistError", "InternalClientError"):
            return True
        if type(exc).__module__.startswith("redis") and type(exc).__name__ in ("ConnectionError", "TimeoutError"):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
