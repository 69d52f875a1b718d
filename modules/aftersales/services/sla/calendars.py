"""SLA calendar settings: which country's public holidays a team (or the tenant default) observes,
and the default's working hours for tickets without a team."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import holidays
from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import SlaCalendar
from modules.aftersales.services.errors import aftersales_error
from modules.team.models import Team
from modules.team.services.teams import validate_hours


def _holiday_errors(country: str, subdivision: str) -> list[UserFacingError]:
    if not country:
        return [aftersales_error("SUBDIVISION_WITHOUT_COUNTRY", N_("A subdivision needs its country."),
                                 ["holidaySubdivision"])] if subdivision else []
    errors: list[UserFacingError] = []
    validation.collect(errors, validation.country, country, ["holidayCountry"])
    if errors:
        return errors
    supported: Mapping[str, Sequence[str]] = holidays.list_supported_countries()
    if country not in supported:
        return [aftersales_error("NO_HOLIDAYS", N_("Public holidays of {country} are not known."),
                                 ["holidayCountry"], country=country)]
    if subdivision and subdivision not in supported[country]:
        return [aftersales_error("UNKNOWN_SUBDIVISION", N_("Unknown value {value}: use one of {allowed}."),
                                 ["holidaySubdivision"], value=subdivision, allowed=", ".join(supported[country]))]
    return []


def _snapshot(row: SlaCalendar) -> dict[str, Any]:
    return {"team": row.team_id, "holiday_country": row.holiday_country,
            "holiday_subdivision": row.holiday_subdivision, "working_hours": row.working_hours}


async def set_calendar(actor: Principal, team_id: int | None, holiday_country: str, holiday_subdivision: str,
                       working_hours: dict[str, list[list[str]]] | None) -> SlaCalendar:
    """Create or replace the team's calendar (team None: the tenant default). Working hours belong
    to the team itself, so only the default takes them."""
    tid = actor.tenant_id
    country, subdivision = holiday_country.strip().upper(), holiday_subdivision.strip()
    errors = _holiday_errors(country, subdivision)
    if team_id is not None and not await scoped(Team, tid).filter(id=team_id).exists():
        errors.append(aftersales_error("NOT_FOUND", N_("No such team."), ["teamId"]))
    if working_hours and team_id is not None:
        errors.append(aftersales_error("HOURS_ON_TEAM", N_("A team's working hours are set on the team."),
                                       ["workingHours"]))
    elif working_hours:
        errors += validate_hours(working_hours)
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        query = scoped(SlaCalendar, tid).filter(team_id=team_id) if team_id is not None else \
            scoped(SlaCalendar, tid).filter(team_id__isnull=True)
        row = await query.select_for_update().first()
        before = _snapshot(row) if row else None
        if row is None:
            row = SlaCalendar(tenant_id=tid, team_id=team_id)
        row.holiday_country, row.holiday_subdivision = country, subdivision
        row.working_hours = working_hours or {}
        await row.save()
        await audit.record(actor, tid, "sla_calendar.set", "SlaCalendar", row.id, before, _snapshot(row))
    return row


async def calendars(tid: int) -> list[SlaCalendar]:
    return await scoped(SlaCalendar, tid).order_by("id").limit(500)
