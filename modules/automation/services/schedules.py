"""Schedules: when a rule on automation.schedule fires, as a small declarative spec checked on save.

    {"every": "day", "at": "09:00"}
    {"every": "week", "on": ["mon", "thu"], "at": "09:00"}
    {"every": "month", "on": [1, 15], "at": "18:30"}

`at` is a time of day in the tenant's time zone (core Tenant.timezone), so "Monday 09:00" stays
09:00 across daylight-saving changes; a month's days stop at 28, which every month has. A slot is
one moment in UTC: the next slot after a moment is what `next_slot` gives.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import UserFacingError
from core.i18n import N_
from modules.automation.services.errors import automation_error as err

EVERY = ("day", "week", "month")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_MONTH_DAY = 28
_AT = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
EXAMPLE = '{"every": "week", "on": ["mon"], "at": "09:00"}'


def check(spec: Any, path: tuple[str, ...] = ("schedule",)) -> tuple[dict[str, Any], list[UserFacingError]]:
    """(the spec normalised, every mistake at its path)."""
    if not isinstance(spec, dict):
        return {}, [err("INVALID_SCHEDULE", N_("A schedule is an object such as {example}."), path, example=EXAMPLE)]
    errors: list[UserFacingError] = []
    for key in sorted(set(spec) - {"every", "on", "at"}):
        errors.append(err("INVALID_SCHEDULE", N_("A schedule has no {key}: it takes every, on and at."),
                          [*path, key], key=key))
    every = spec.get("every")
    if every not in EVERY:
        errors.append(err("INVALID_SCHEDULE", N_("every is one of: {choices}."), [*path, "every"],
                          choices=", ".join(EVERY)))
    at = spec.get("at")
    if not isinstance(at, str) or not _AT.fullmatch(at):
        errors.append(err("INVALID_TIME", N_("A time of day from 00:00 to 23:59, such as 09:00."), [*path, "at"]))
    days = spec.get("on")
    out: dict[str, Any] = {"every": every, "at": at}
    if every == "week":
        if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
            errors.append(err("INVALID_DAYS", N_("List one or more weekdays: {choices}."), [*path, "on"],
                              choices=", ".join(WEEKDAYS)))
        else:
            out["on"] = sorted(set(days), key=WEEKDAYS.index)
    elif every == "month":
        if not isinstance(days, list) or not days or any(
                isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_MONTH_DAY for d in days):
            errors.append(err("INVALID_DAYS", N_("List one or more days of the month from 1 to {max}."),
                              [*path, "on"], max=MAX_MONTH_DAY))
        else:
            out["on"] = sorted(set(days))
    elif every == "day" and days is not None:
        errors.append(err("INVALID_DAYS", N_("A daily schedule takes no days."), [*path, "on"]))
    return (out if not errors else {}), errors


def zone(name: str) -> ZoneInfo:
    """The tenant's time zone; UTC for a name the system does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _runs_on(spec: dict[str, Any], day: datetime) -> bool:
    if spec["every"] == "week":
        return WEEKDAYS[day.weekday()] in spec["on"]
    if spec["every"] == "month":
        return day.day in spec["on"]
    return True


def next_slot(spec: dict[str, Any], tz: ZoneInfo, after: datetime) -> datetime:
    """The first slot strictly after `after`, in UTC (a checked spec has one within 32 days)."""
    hour, minute = (int(p) for p in str(spec["at"]).split(":"))
    local = after.astimezone(tz)
    for offset in range(0, 33):
        day = local + timedelta(days=offset)
        at = datetime.combine(day.date(), time(hour, minute), tz)
        if _runs_on(spec, day) and at.astimezone(UTC) > after:
            return at.astimezone(UTC)
    raise ValueError("a schedule without a slot")  # not reached for a checked spec
