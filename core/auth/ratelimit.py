"""Fixed-window counters in the database, shared by every API process (failed logins; the web
contact form's submissions, under keys of their own).

They were in Redis: a flush reset them (18 wrong passwords in a row then went unblocked) and an
outage stopped every login. Only failures write (one upsert each); a login reads one row by key.
Rows of ended windows are deleted now and then by the writes themselves.
"""

from __future__ import annotations

import random
import time

from core.models import LoginFailure
from core.sql import fetch

SWEEP_CHANCE = 0.01  # share of writes that also delete ended windows


def _now() -> int:
    return int(time.time())


async def count(key: str) -> int:
    """Failures counted in the current window."""
    row = await LoginFailure.get_or_none(key=key)
    return row.count if row is not None and row.window_ends > _now() else 0


async def seconds_left(key: str) -> int:
    """How long until the current window ends (0 when none is open): a 429's Retry-After."""
    row = await LoginFailure.get_or_none(key=key)
    return max(0, row.window_ends - _now()) if row is not None else 0


async def exceeded(key: str, limit: int) -> bool:
    """True when `limit` failures were already counted in the current window."""
    return await count(key) >= limit


async def hit(key: str, window_seconds: int) -> int:
    """Count one failure; the window starts at the first failure (atomic on both databases). The
    count after this one: a caller that checks it, not `count` before, cannot be raced past a limit."""
    now = _now()
    rows = await fetch(
        "INSERT INTO core_login_failure (key, count, window_ends) VALUES ({p[0]}, 1, {p[1]}) "
        "ON CONFLICT (key) DO UPDATE SET "
        "count = CASE WHEN core_login_failure.window_ends > {p[2]} THEN core_login_failure.count + 1 ELSE 1 END, "
        "window_ends = CASE WHEN core_login_failure.window_ends > {p[3]} THEN core_login_failure.window_ends "
        "ELSE {p[4]} END RETURNING count",
        [key, now + window_seconds, now, now, now + window_seconds])  # SQLite's ? are positional: no reuse
    if random.random() < SWEEP_CHANCE:  # noqa: S311 - not security relevant: when to tidy up
        await LoginFailure.filter(window_ends__lte=now).delete()
    return int(rows[0]["count"]) if rows else 1


async def reset(key: str) -> None:
    await LoginFailure.filter(key=key).delete()
