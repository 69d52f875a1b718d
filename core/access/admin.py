"""Roles and grants: the services behind the team module's GraphQL and the CLI.

Every change runs in one transaction with its audit entry, then tells every process (watcher).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit
from core.access.subjects import DEFAULT_DOMAIN, domain, role_subject, user_subject
from core.auth.principal import Principal
from core.errors import UserFacingError
from core.i18n import N_
from core.models import Membership, PolicyRule, Role
from core.registry import Module, Permission, RegistryError
from core.runtime import Runtime

ROLE_NAME = re.compile(r"^[a-z][a-z0-9_\-]{1,63}$")


def _role_snapshot(role: Role, grants: Iterable[str] = ()) -> dict[str, object]:
    return {"name": role.name, "description": role.description, "grants": sorted(grants)}


def visible_roles(tenant_id: int) -> QuerySet[Role]:
    """Roles a tenant can see and assign: its own and the modules' default roles."""
    return Role.filter(Q(tenant_id=tenant_id) | Q(tenant_id=None))


async def role_for(tenant_id: int, role_id: int, field: Sequence[str] = ("roleId",)) -> Role:
    """A role the tenant can see, or NOT_FOUND at `field`."""
    role = await visible_roles(tenant_id).filter(id=role_id).first()
    if role is None:
        raise UserFacingError("NOT_FOUND", N_("No such role."), field=list(field))
    return role


def _editable(role: Role) -> None:
    if role.tenant_id is None:
        raise UserFacingError(
            "DEFAULT_ROLE_READ_ONLY",
            N_("The role {name} is shipped by a module and cannot be changed; create your own."),
            field=["roleId"],
            params={"name": role.name},
        )


async def role_grants(role: Role) -> list[str]:
    dom = DEFAULT_DOMAIN if role.tenant_id is None else domain(role.tenant_id)
    rows = await PolicyRule.filter(ptype="p", domain=dom, v0=role_subject(role.name)).values_list(
        "v1", "v2"
    )
    return sorted(f"{r}:{a}" for r, a in rows)


async def _check_name(tenant_id: int, name: str, exclude_id: int | None = None) -> str:
    name = name.strip().lower()
    if not ROLE_NAME.match(name):
        raise UserFacingError(
            "INVALID_ROLE_NAME",
            N_("A role name has 2 to 64 characters: lowercase letters, digits, '-' or '_', "
               "starting with a letter."),
            field=["name"],
        )
    clash = visible_roles(tenant_id).filter(name=name)
    if exclude_id is not None:
        clash = clash.exclude(id=exclude_id)
    if await clash.exists():
        raise UserFacingError(
            "ROLE_NAME_TAKEN", N_("A role named {name} already exists."), field=["name"],
            params={"name": name},
        )
    return name


def _check_description(description: str) -> str:
    if len(description) > 500:
        raise UserFacingError(
            "TOO_LONG", N_("The description is longer than {max} characters."),
            field=["description"], params={"max": 500},
        )
    return description


async def create_role(rt: Runtime, actor: Principal, name: str, description: str = "") -> Role:
    tid = actor.tenant_id
    async with in_transaction():
        name = await _check_name(tid, name)
        role = await Role.create(tenant_id=tid, name=name, description=_check_description(description))
        await audit.record(actor, tid, "role.create", "Role", role.id, None, _role_snapshot(role))
    return role


async def update_role(
    rt: Runtime, actor: Principal, role_id: int, name: str | None, description: str | None
) -> Role:
    tid = actor.tenant_id
    async with in_transaction():
        role = await role_for(tid, role_id)
        _editable(role)
        grants = await role_grants(role)
        before = _role_snapshot(role, grants)
        old_subject = role_subject(role.name)
        if name is not None:
            role.name = await _check_name(tid, name, exclude_id=role.id)
        if description is not None:
            role.description = _check_description(description)
        await role.save()
        if role_subject(role.name) != old_subject:
            dom = domain(tid)
            await PolicyRule.filter(ptype="p", domain=dom, v0=old_subject).update(
                v0=role_subject(role.name)
            )
            await PolicyRule.filter(ptype="g", domain=dom, v1=old_subject).update(
                v1=role_subject(role.name)
            )
        await audit.record(actor, tid, "role.update", "Role", role.id, before,
                           _role_snapshot(role, grants))
    await rt.policy_changed(tid)
    return role


async def delete_role(rt: Runtime, actor: Principal, role_id: int) -> None:
    tid = actor.tenant_id
    async with in_transaction():
        role = await role_for(tid, role_id)
        _editable(role)
        subject = role_subject(role.name)
        users = await PolicyRule.filter(ptype="g", domain=domain(tid), v1=subject).count()
        if users:
            raise UserFacingError(
                "ROLE_IN_USE",
                N_("The role {name} is assigned to {count} user(s); unassign it first."),
                field=["roleId"], params={"name": role.name, "count": users},
            )
        grants = await role_grants(role)
        await PolicyRule.filter(ptype="p", domain=domain(tid), v0=subject).delete()
        await role.delete()
        await audit.record(actor, tid, "role.delete", "Role", role_id,
                           _role_snapshot(role, grants), None)
    await rt.policy_changed(tid)


def _permission(rt: Runtime, key: str) -> Permission:
    permission = rt.permissions.get(key)
    if permission is None:
        raise UserFacingError(
            "UNKNOWN_PERMISSION", N_("There is no permission {permission}."),
            field=["permission"], params={"permission": key},
        )
    return permission


async def _set_rule(rule: dict[str, Any], present: bool) -> bool:
    """Make one policy line present or absent; True when that changed anything."""
    existing = PolicyRule.filter(**rule)
    exists = await existing.exists()
    if present and not exists:
        await PolicyRule.create(**rule)
    elif not present and exists:
        await existing.delete()
    return exists != present


async def _held(rt: Runtime, actor: Principal) -> frozenset[tuple[str, str]]:
    return await rt.access.permissions(actor.user, actor.tenant_id)


async def ensure_can_assign(rt: Runtime, actor: Principal, role: Role,
                            field: Sequence[str] = ("roleId",)) -> None:
    """Nobody climbs: a caller may assign (or unassign, or invite with) only a role whose every
    grant it holds itself, so `team.role:write` alone never leads to the admin role."""
    held = await _held(rt, actor)
    missing = [g for g in await role_grants(role) if tuple(g.split(":", 1)) not in held]
    if missing:
        raise UserFacingError(
            "ROLE_EXCEEDS_YOUR_PERMISSIONS",
            N_("The role {name} grants {permissions}, which you do not hold yourself."),
            field=list(field), params={"name": role.name, "permissions": ", ".join(missing)},
        )


async def set_grant(rt: Runtime, actor: Principal, role_id: int, key: str, granted: bool) -> Role:
    """Grant (or revoke) one permission to a tenant's role. Idempotent. A caller may change only
    grants it holds itself."""
    tid = actor.tenant_id
    # What the actor holds is read before the transaction: a cold policy load runs in a task of
    # its own, which on SQLite would wait for this transaction's connection for ever.
    held = await _held(rt, actor)
    async with in_transaction():
        permission = _permission(rt, key)
        role = await role_for(tid, role_id)
        _editable(role)
        if (permission.resource, permission.action) not in held:
            raise UserFacingError(
                "PERMISSION_NOT_HELD",
                N_("You can grant or revoke only permissions you hold yourself: {permission}."),
                field=["permission"], params={"permission": key},
            )
        before = await role_grants(role)
        rule = dict(ptype="p", domain=domain(tid), v0=role_subject(role.name),
                    v1=permission.resource, v2=permission.action)
        if await _set_rule(rule, granted):
            after = await role_grants(role)
            await audit.record(actor, tid, "role.grant" if granted else "role.revoke", "Role",
                               role.id, {"grants": before}, {"grants": after})
    await rt.policy_changed(tid)
    return role


async def set_assignment(
    rt: Runtime, actor: Principal, user_id: int, role_id: int, assigned: bool
) -> Role:
    """Assign (or unassign) a role to a member of the caller's tenant. Idempotent."""
    tid = actor.tenant_id
    if not await Membership.filter(user_id=user_id, tenant_id=tid).exists():
        raise UserFacingError("NOT_FOUND", N_("No such user."), field=["userId"])
    role = await role_for(tid, role_id)
    await ensure_can_assign(rt, actor, role)  # outside the transaction: see set_grant
    async with in_transaction():
        rule = dict(ptype="g", domain=domain(tid), v0=user_subject(user_id),
                    v1=role_subject(role.name), v2="")
        if await _set_rule(rule, assigned):
            await audit.record(actor, tid, "role.assign" if assigned else "role.unassign",
                               "User", user_id, None, {"role": role.name})
    await rt.policy_changed(tid)
    return role


async def assign_roles(tenant_id: int, user_id: int, roles: Iterable[Role]) -> None:
    """Assign roles already checked (an accepted invitation's)."""
    for role in roles:
        await PolicyRule.get_or_create(ptype="g", domain=domain(tenant_id), v0=user_subject(user_id),
                                       v1=role_subject(role.name), v2="")


async def assign_role_by_name(tenant_id: int, user_id: int, role_name: str) -> None:
    """For the CLI and the demo loader: assign a visible role by name (no actor, no audit)."""
    role = await visible_roles(tenant_id).filter(name=role_name).first()
    if role is None:
        raise UserFacingError("NOT_FOUND", N_("No role named {name}."), params={"name": role_name})
    await PolicyRule.get_or_create(ptype="g", domain=domain(tenant_id), v0=user_subject(user_id),
                                   v1=role_subject(role.name), v2="")


def read_security_csv(module: Module, known: dict[str, Permission]) -> list[tuple[str, str, str]]:
    """A module's default grants as (role, resource, action); each must be a declared permission."""
    if not module.security_csv.exists():
        return []
    rows: list[tuple[str, str, str]] = []
    with module.security_csv.open(newline="") as fp:
        for line in csv.DictReader(fp):
            role, resource, action = line["role"].strip(), line["resource"].strip(), line["action"].strip()
            if f"{resource}:{action}" not in known:
                raise RegistryError(
                    f"module {module.name!r} grants {resource}:{action} to {role!r} in "
                    "security.csv, but no installed module declares that permission"
                )
            rows.append((role, resource, action))
    return rows


async def load_default_policies(module: Module, known: dict[str, Permission]) -> None:
    """Replace the module's default roles' grants with what its security.csv says."""
    rows = read_security_csv(module, known)
    await PolicyRule.filter(module=module.name, domain=DEFAULT_DOMAIN, ptype="p").delete()
    for role_name in sorted({r for r, _, _ in rows}):
        role = await Role.filter(tenant_id=None, name=role_name).first()
        if role is None:
            await Role.create(tenant_id=None, name=role_name, module=module.name)
    await PolicyRule.bulk_create([
        PolicyRule(ptype="p", domain=DEFAULT_DOMAIN, v0=role_subject(r), v1=res, v2=act,
                   module=module.name)
        for r, res, act in rows
    ])


async def remove_default_policies(module_name: str) -> None:
    await PolicyRule.filter(module=module_name, domain=DEFAULT_DOMAIN).delete()
    for role in await Role.filter(tenant_id=None, module=module_name):
        if not await PolicyRule.filter(domain=DEFAULT_DOMAIN, ptype="p",
                                       v0=role_subject(role.name)).exists():
            await role.delete()
