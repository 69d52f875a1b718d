"""Per-request DataLoaders: a page of users costs the same few queries whatever its size."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.access.admin import visible_roles
from core.access.subjects import DEFAULT_DOMAIN, domain, role_subject, user_subject
from core.models import Membership, PolicyRule, Role, User
from core.tenancy import scoped
from modules.team.models import AgentSkill


def roles_by_user(info: Info) -> DataLoader[int, list[Role]]:
    tenant_id = info.context.tenant_id

    async def load(user_ids: list[int]) -> list[list[Role]]:
        subjects = {user_subject(u): u for u in user_ids}
        rows = await PolicyRule.filter(
            ptype="g", domain=domain(tenant_id), v0__in=list(subjects)
        ).values_list("v0", "v1")
        roles = {role_subject(r.name): r for r in await visible_roles(tenant_id)}
        result: dict[int, list[Role]] = defaultdict(list)
        for subject, role in rows:
            if role in roles:
                result[subjects[subject]].append(roles[role])
        return [sorted(result[u], key=lambda r: r.name) for u in user_ids]

    return info.context.loader("team.roles_by_user", lambda: DataLoader(load_fn=load))


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


def users_by_id(info: Info) -> DataLoader[int, User | None]:
    tenant_id = info.context.tenant_id

    async def load(ids: list[int]) -> list[User | None]:
        rows = {u.id: u for u in await User.filter(id__in=ids, memberships__tenant_id=tenant_id)}
        return [rows.get(i) for i in ids]

    return info.context.loader("team.users_by_id", lambda: DataLoader(load_fn=load))


def memberships_by_user(info: Info) -> DataLoader[int, bool]:
    """Whether each user is an active member of the caller's tenant."""
    tenant_id = info.context.tenant_id

    async def load(user_ids: list[int]) -> list[bool]:
        rows = dict(await Membership.filter(tenant_id=tenant_id, user_id__in=user_ids)
                    .values_list("user_id", "is_active"))
        return [bool(rows.get(u, False)) for u in user_ids]

    return info.context.loader("team.memberships_by_user", lambda: DataLoader(load_fn=load))


def skills_by_user(info: Info) -> DataLoader[int, list[AgentSkill]]:
    tenant_id = info.context.tenant_id

    async def load(user_ids: list[int]) -> list[list[AgentSkill]]:
        result: dict[int, list[AgentSkill]] = defaultdict(list)
        for skill in await scoped(AgentSkill, tenant_id).filter(user_id__in=user_ids).order_by("id"):
            result[skill.user_id].append(skill)
        return [result[u] for u in user_ids]

    return info.context.loader("team.skills_by_user", lambda: DataLoader(load_fn=load))
