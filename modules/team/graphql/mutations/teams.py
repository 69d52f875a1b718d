"""createTeam, addTeamMember, removeTeamMember, setAgentSkills."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.team.graphql.types import TeamType, UserType
from modules.team.models import Team
from modules.team.services import teams

WRITE: list[type[BasePermission]] = [Requires("team.team", "write")]


@strawberry.input
class CreateTeamInput:
    name: str
    timezone: str = "UTC"
    # A JSON default of {} cannot be printed by introspection (graphql-core raises): null means none.
    working_hours: JSON | None = strawberry.field(
        default=None,
        description='By day: {"mon": [["09:00", "18:00"]], ...}; a missing day is off; none: no hours.')


@strawberry.input
class UpdateTeamInput:
    team_id: strawberry.ID
    name: str | None = None
    timezone: str | None = None
    working_hours: JSON | None = None


@strawberry.input
class DeleteTeamInput:
    team_id: strawberry.ID


@strawberry.type
class DeleteTeamPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class TeamMemberInput:
    team_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input
class SetAgentSkillsInput:
    user_id: strawberry.ID
    languages: list[str] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class TeamPayload:
    team: TeamType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AgentSkillsPayload:
    languages: list[str] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


def _hours(value: object) -> dict[str, list[list[str]]]:
    """JSON from the client: anything but an object becomes a day error the service reports."""
    return value if isinstance(value, dict) else {"?": []}


def _team(result: tuple[Team | None, list[UserError]]) -> TeamPayload:
    team, errors = result
    return TeamPayload(team=TeamType.from_row(team) if team else None, errors=errors)


async def _membership(info: Info, input: TeamMemberInput, member: bool) -> TeamPayload:
    async def run():
        return await teams.set_team_member(
            info.context.require_principal(), decode_id(input.team_id, TeamType, "teamId"),
            decode_id(input.user_id, UserType, "userId"), member)
    return _team(await attempt(info, run()))


@strawberry.type
class TeamMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_team(self, info: Info, input: CreateTeamInput) -> TeamPayload:  # noqa: A002
        return _team(await attempt(info, teams.create_team(
            info.context.require_principal(), input.name, input.timezone, _hours(input.working_hours or {}))))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_team(self, info: Info, input: UpdateTeamInput) -> TeamPayload:  # noqa: A002
        async def run():
            return await teams.update_team(
                info.context.require_principal(), decode_id(input.team_id, TeamType, "teamId"),
                input.name, input.timezone,
                None if input.working_hours is None else _hours(input.working_hours))
        return _team(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_team(self, info: Info, input: DeleteTeamInput) -> DeleteTeamPayload:  # noqa: A002
        async def run() -> strawberry.ID:
            await teams.delete_team(info.context.require_principal(),
                                    decode_id(input.team_id, TeamType, "teamId"))
            return input.team_id
        deleted, errors = await attempt(info, run())
        return DeleteTeamPayload(deleted_id=deleted, errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def add_team_member(self, info: Info, input: TeamMemberInput) -> TeamPayload:  # noqa: A002
        return await _membership(info, input, True)

    @strawberry.mutation(permission_classes=WRITE)
    async def remove_team_member(self, info: Info, input: TeamMemberInput) -> TeamPayload:  # noqa: A002
        return await _membership(info, input, False)

    @strawberry.mutation(permission_classes=WRITE)
    async def set_agent_skills(self, info: Info, input: SetAgentSkillsInput) -> AgentSkillsPayload:  # noqa: A002
        async def run():
            return await teams.set_skills(
                info.context.require_principal(), decode_id(input.user_id, UserType, "userId"),
                input.languages, input.categories)
        skills, errors = await attempt(info, run())
        if skills is None:
            return AgentSkillsPayload(errors=errors)
        return AgentSkillsPayload(
            languages=[s.value for s in skills if s.kind == "language"],
            categories=[s.value for s in skills if s.kind == "category"])
