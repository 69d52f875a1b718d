"""Business time: which instants count towards an SLA, from a team's working hours, its time zone
and a country's public holidays.

All instants in and out are aware UTC datetimes. Spans are laid out in local wall time and turned
into UTC span by span, so a DST change shortens or lengthens the day it happens on, exactly as a
clock on the office wall would; arithmetic between instants is always done in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from tortoise.expressions import Q

from core.models import Tenant
from core.tenancy import scoped
from modules.aftersales.models import SlaCalendar
from modules.team.models import Team

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAY = ((0, 24 * 60),)
MAX_DAYS = 3 * 366  # no business time in three years: the calendar is unusable, not slow


@lru_cache(maxsize=512)
def holiday_dates(country: str, subdivision: str, year: int) -> frozenset[date]:
    """A country's (and subdivision's) public holidays in one year, cached per (country, year)."""
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def parse_hours(working_hours: Mapping[str, Sequence[Sequence[str]]]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """{"mon": [["09:00", "18:00"]], ...} as minutes from midnight per weekday (0 = Monday), sorted.

    An empty mapping means around the clock (a team that never set hours is not closed forever);
    otherwise a missing day is a day off.
    """
    if not working_hours:
        return (ALL_DAY,) * 7
    return tuple(_merged(sorted((_minutes(s), _minutes(e)) for s, e in working_hours.get(day, ()))) for day in DAYS)


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Overlapping or touching spans as one, so no minute counts twice."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"
    spans: tuple[tuple[tuple[int, int], ...], ...] = field(default=(ALL_DAY,) * 7)
    holiday_country: str = ""
    holiday_subdivision: str = ""

    @classmethod
    def build(cls, timezone: str, working_hours: Mapping[str, Sequence[Sequence[str]]],
              holiday_country: str = "", holiday_subdivision: str = "") -> Calendar:
        return cls(timezone, parse_hours(working_hours), holiday_country.upper(), holiday_subdivision)

    @property
    def always_open(self) -> bool:
        return not self.holiday_country and all(day == ALL_DAY for day in self.spans)

    def is_holiday(self, day: date) -> bool:
        return bool(self.holiday_country) and day in holiday_dates(
            self.holiday_country, self.holiday_subdivision, day.year)

    def _day_spans(self, day: date, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
        if self.is_holiday(day):
            return
        midnight = datetime.combine(day, time(0))
        for start, end in self.spans[day.weekday()]:
            yield ((midnight + timedelta(minutes=start)).replace(tzinfo=zone).astimezone(UTC),
                   (midnight + timedelta(minutes=end)).replace(tzinfo=zone).astimezone(UTC))

    def spans_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business spans (UTC) that end after `instant`, clipped to start no earlier than it."""
        zone = ZoneInfo(self.timezone)
        day = instant.astimezone(zone).date()  # spans end by 24:00: none of an earlier day reaches this one
        for offset in range(MAX_DAYS):
            for start, end in self._day_spans(day + timedelta(days=offset), zone):
                if end > instant:
                    yield max(start, instant), end
        raise ValueError(f"no business time within {MAX_DAYS} days of {instant.isoformat()}")

    def spans_until(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business spans (UTC) that start before `instant`, latest first, clipped to end by it."""
        zone = ZoneInfo(self.timezone)
        day = instant.astimezone(zone).date()
        for offset in range(MAX_DAYS):
            for start, end in reversed(list(self._day_spans(day - timedelta(days=offset), zone))):
                if start < instant:
                    yield start, min(end, instant)
        raise ValueError(f"no business time within {MAX_DAYS} days before {instant.isoformat()}")

    def add(self, instant: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of business time after `instant` (before it, when negative)."""
        instant = instant.astimezone(UTC)
        if self.always_open:
            return instant + amount
        if amount < timedelta():
            left = -amount
            for start, end in self.spans_until(instant):
                if end - start >= left:
                    return end - left
                left -= end - start
        left = amount
        for start, end in self.spans_from(instant):
            if end - start >= left:
                return start + left
            left -= end - start
        raise AssertionError("unreachable: the span iterators raise first")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end`; negative when `end` comes first."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end < start:
            return -self.between(end, start)
        if self.always_open:
            return end - start
        total = timedelta()
        for span_start, span_end in self.spans_from(start):
            if span_start >= end:
                break
            total += min(span_end, end) - span_start
        return total

    def add_minutes(self, instant: datetime, minutes: float) -> datetime:
        return self.add(instant, timedelta(minutes=minutes))

    def minutes_between(self, start: datetime, end: datetime) -> float:
        return self.between(start, end).total_seconds() / 60


async def calendar_for(tenant_id: int, team_id: int | None) -> Calendar:
    """The team's hours and zone with its SLA calendar's holidays (else the tenant default's); without
    a team, the tenant's zone and the default calendar's hours (around the clock if it has none)."""
    rows = {c.team_id: c for c in await scoped(SlaCalendar, tenant_id).filter(
        Q(team_id=team_id) | Q(team_id__isnull=True) if team_id is not None else Q(team_id__isnull=True))}
    default = rows.get(None)
    own = rows.get(team_id) if team_id is not None else None
    holiday_source = own if own is not None and own.holiday_country else default
    country = holiday_source.holiday_country if holiday_source else ""
    subdivision = holiday_source.holiday_subdivision if holiday_source else ""
    team = await scoped(Team, tenant_id).filter(id=team_id).first() if team_id is not None else None
    if team is not None:
        return Calendar.build(team.timezone, team.working_hours, country, subdivision)
    tenant = await Tenant.get(id=tenant_id)
    return Calendar.build(tenant.timezone, default.working_hours if default else {}, country, subdivision)
