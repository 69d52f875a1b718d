"""setSlaCalendar: a team's (or the tenant default's) public holidays, and the default's hours."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales import models
from modules.aftersales.graphql.sla.types import SlaCalendarType
from modules.aftersales.services.sla import calendars as sla_calendars
from modules.team.graphql.types import TeamType


@strawberry.input(description="Replaces the calendar of the team (no team: the tenant default).")
class SetSlaCalendarInput:
    team_id: strawberry.ID | None = None
    holiday_country: str = strawberry.field(default="", description="ISO 3166-1 alpha-2; empty: no holidays.")
    holiday_subdivision: str = strawberry.field(default="", description="e.g. BY for Bavaria.")
    working_hours: JSON | None = strawberry.field(
        default=None, description='Default only: {"mon": [["09:00", "18:00"]], ...}; empty: around the clock.')


@strawberry.type
class SlaCalendarPayload:
    calendar: SlaCalendarType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SlaCalendarMutations:
    @strawberry.mutation(permission_classes=[Requires("aftersales.settings", "write")])
    async def set_sla_calendar(self, info: Info, input: SetSlaCalendarInput) -> SlaCalendarPayload:  # noqa: A002
        async def run() -> models.SlaCalendar:
            team_id = None if input.team_id is None else decode_id(input.team_id, TeamType, "teamId")
            return await sla_calendars.set_calendar(
                info.context.require_principal(), team_id, input.holiday_country, input.holiday_subdivision,
                cast(dict[str, Any] | None, input.working_hours))
        row, errors = await attempt(info, run())
        return SlaCalendarPayload(calendar=SlaCalendarType.from_row(row) if row else None, errors=errors)
