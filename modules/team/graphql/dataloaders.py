"""Per-request DataLoaders: a page of users costs the same few queries whatever its size."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.access.admin import visible_roles
from core.access.subjects import DEFAULT_DOMAIN, domain, role_subject, user_subject
from core.graphql.loaders import loader_by_id, loader_by_key, loader_grouped, rows_grouped
from core.identity import members
from core.models import Membership, PolicyRule, Role, User
from modules.team.models import AgentSkill


async def _roles(tenant_id: int, user_ids: list[int]) -> list[tuple[int, Role]]:
    subjects = {user_subject(u): u for u in user_ids}
    rows = await PolicyRule.filter(
        ptype="g", domain=domain(tenant_id), v0__in=list(subjects)
    ).values_list("v0", "v1")
    roles = {role_subject(r.name): r for r in await visible_roles(tenant_id)}
    return sorted(((subjects[s], roles[r]) for s, r in rows if r in roles), key=lambda p: p[1].name)


def roles_by_user(info: Info) -> DataLoader[int, list[Role]]:
    return loader_grouped(info, "team.roles_by_user", _roles)


async def _visible_roles(tenant_id: int, ids: list[int]) -> list[Role]:
    return list(await visible_roles(tenant_id).filter(id__in=ids))


def roles_by_id(info: Info) -> DataLoader[int, Role | None]:
    """Roles the caller's tenant can see, by id (None when gone or another tenant's)."""
    return loader_by_id(info, "team.roles_by_id", _visible_roles)


def grants_by_role(info: Info) -> DataLoader[tuple[int | None, str], list[str]]:
    tenant_id = info.context.tenant_id

    async def load(keys: list[tuple[int | None, str]]) -> list[list[str]]:
        rows = await PolicyRule.filter(
            ptype="p", domain__in=[domain(tenant_id), DEFAULT_DOMAIN],
            v0__in=list({role_subject(name) for _, name in keys}),
        ).values_list("domain", "v0", "v1", "v2")
        result: dict[tuple[str, str], list[str]] = defaultdict(list)
        for dom, subject, resource, action in rows:
            result[(dom, subject)].append(f"{resource}:{action}")
        return [
            sorted(result[(DEFAULT_DOMAIN if t is None else domain(t), role_subject(n))])
            for t, n in keys
        ]

    return info.context.loader("team.grants_by_role", lambda: DataLoader(load_fn=load))


# What a user node shows: a page names dozens of people and never needs their password hashes.
SHOWN = ("id", "email", "locale", "created_at")


async def _members(tenant_id: int, ids: list[int]) -> list[User]:
    return list(await members(tenant_id).filter(id__in=ids).only(*SHOWN))


def users_by_id(info: Info) -> DataLoader[int, User | None]:
    """Users by id, only the members of the caller's tenant (active or not)."""
    return loader_by_id(info, "team.users_by_id", _members)


async def _memberships(tenant_id: int, user_ids: list[int]) -> dict[int, Membership]:
    return {m.user_id: m for m in await Membership.filter(tenant_id=tenant_id, user_id__in=user_ids)}


def memberships_by_user(info: Info) -> DataLoader[int, Membership | None]:
    """Each user's membership of the caller's tenant (None: not a member)."""
    return loader_by_key(info, "team.memberships_by_user", _memberships)


def skills_by_user(info: Info) -> DataLoader[int, list[AgentSkill]]:
    return rows_grouped(info, AgentSkill, "user_id")
