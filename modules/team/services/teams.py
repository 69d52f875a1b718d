"""Teams of agents, their members and skills."""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import Membership
from core.tenancy import scoped
from modules.team.models import AgentSkill, Team, TeamMember

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
SKILL_KINDS = ("language", "category")


def _err(code: str, message: str, field: list[str], **params: object) -> UserFacingError:
    return UserFacingError(code, message, field=field, params=params, domain="team")


def validate_hours(hours: dict[str, list[list[str]]]) -> list[UserFacingError]:
    errors = []
    for day, spans in hours.items():
        if day not in DAYS:
            errors.append(_err("INVALID_DAY", N_("Unknown day {day}: use mon to sun."),
                               ["workingHours", day], day=day))
            continue
        for i, span in enumerate(spans):
            ok = (isinstance(span, list) and len(span) == 2
                  and all(isinstance(t, str) and HHMM.match(t) for t in span) and span[0] < span[1])
            if not ok:
                errors.append(_err("INVALID_HOURS",
                                   N_("Working hours are [\"HH:MM\", \"HH:MM\"], start before end."),
                                   ["workingHours", day, str(i)]))
    return errors


async def _validate(tid: int, name: str, timezone: str, hours: dict[str, list[list[str]]],
                    exclude_id: int | None = None) -> str:
    name = name.strip()
    errors = validate_hours(hours)
    if not name or len(name) > 100:
        errors.append(_err("INVALID_NAME", N_("A team name has 1 to 100 characters."), ["name"]))
    else:
        clash = scoped(Team, tid).filter(name=name)
        if exclude_id is not None:
            clash = clash.exclude(id=exclude_id)
        if await clash.exists():
            errors.append(_err("TEAM_NAME_TAKEN", N_("A team named {name} already exists."), ["name"],
                               name=name))
    validation.collect(errors, validation.timezone, timezone)
    if errors:
        raise UserFacingErrors(errors)
    return name


def _snapshot(team: Team) -> dict[str, object]:
    return {"name": team.name, "timezone": team.timezone, "working_hours": team.working_hours}


async def _team(tid: int, team_id: int) -> Team:
    team = await scoped(Team, tid).filter(id=team_id).first()
    if team is None:
        raise _err("NOT_FOUND", N_("No such team."), ["teamId"])
    return team


async def create_team(actor: Principal, name: str, timezone: str,
                      working_hours: dict[str, list[list[str]]]) -> Team:
    tid = actor.tenant_id
    async with in_transaction():
        name = await _validate(tid, name, timezone, working_hours)
        team = await Team.create(tenant_id=tid, name=name, timezone=timezone,
                                 working_hours=working_hours)
        await audit.record(actor, tid, "team.create", "Team", team.id, None, _snapshot(team))
    return team


async def update_team(actor: Principal, team_id: int, name: str | None, timezone: str | None,
                      working_hours: dict[str, list[list[str]]] | None) -> Team:
    """Change what is given; the rest stays."""
    tid = actor.tenant_id
    async with in_transaction():
        team = await _team(tid, team_id)
        before = _snapshot(team)
        team.name = await _validate(
            tid, team.name if name is None else name, team.timezone if timezone is None else timezone,
            team.working_hours if working_hours is None else working_hours, exclude_id=team.id)
        if timezone is not None:
            team.timezone = timezone
        if working_hours is not None:
            team.working_hours = working_hours
        await team.save()
        await audit.record(actor, tid, "team.update", "Team", team.id, before, _snapshot(team))
    return team


async def delete_team(actor: Principal, team_id: int) -> None:
    tid = actor.tenant_id
    async with in_transaction():
        team = await _team(tid, team_id)
        members = await scoped(TeamMember, tid).filter(team_id=team_id).values_list("user_id", flat=True)
        await audit.record(actor, tid, "team.delete", "Team", team_id,
                           {**_snapshot(team), "members": sorted(int(str(m)) for m in members)}, None)
        await team.delete()


async def _member(tid: int, user_id: int) -> None:
    if not await Membership.filter(tenant_id=tid, user_id=user_id).exists():
        raise _err("NOT_FOUND", N_("No such user."), ["userId"])


async def set_team_member(actor: Principal, team_id: int, user_id: int, member: bool) -> Team:
    tid = actor.tenant_id
    async with in_transaction():
        team = await _team(tid, team_id)
        await _member(tid, user_id)
        existing = scoped(TeamMember, tid).filter(team_id=team_id, user_id=user_id)
        if member and not await existing.exists():
            await TeamMember.create(tenant_id=tid, team_id=team_id, user_id=user_id)
            await audit.record(actor, tid, "team.add_member", "Team", team_id, None,
                               {"user_id": user_id})
        elif not member and await existing.exists():
            await existing.delete()
            await audit.record(actor, tid, "team.remove_member", "Team", team_id,
                               {"user_id": user_id}, None)
    return team


async def set_skills(actor: Principal, user_id: int, languages: list[str],
                     categories: list[str]) -> list[AgentSkill]:
    """Replace an agent's skills (languages as BCP 47 tags, categories as free labels)."""
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    languages = [validation.collect(errors, validation.language, tag, ["languages", str(i)]) or tag
                 for i, tag in enumerate(languages)]
    for i, cat in enumerate(categories):
        if not cat.strip() or len(cat) > 64:
            errors.append(_err("INVALID_CATEGORY", N_("A category has 1 to 64 characters."),
                               ["categories", str(i)]))
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        await _member(tid, user_id)
        rows = scoped(AgentSkill, tid).filter(user_id=user_id)
        before = sorted(f"{k}:{v}" for k, v in await rows.values_list("kind", "value"))
        await rows.delete()
        skills = [AgentSkill(tenant_id=tid, user_id=user_id, kind="language", value=t)
                  for t in dict.fromkeys(languages)]
        skills += [AgentSkill(tenant_id=tid, user_id=user_id, kind="category", value=c.strip())
                   for c in dict.fromkeys(categories)]
        await AgentSkill.bulk_create(skills)
        await audit.record(actor, tid, "user.skills", "User", user_id, {"skills": before},
                           {"skills": sorted(f"{s.kind}:{s.value}" for s in skills)})
    return skills
