"""createRole, updateRole, deleteRole, grantPermission, revokePermission, assignRole, unassignRole."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core.access import admin
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from core.models import Role
from modules.team.graphql.types import RoleType, UserType

WRITE: list[type[BasePermission]] = [Requires("team.role", "write")]


@strawberry.input
class CreateRoleInput:
    name: str
    description: str = ""


@strawberry.input
class UpdateRoleInput:
    role_id: strawberry.ID
    name: str | None = None
    description: str | None = None


@strawberry.input
class DeleteRoleInput:
    role_id: strawberry.ID


@strawberry.input
class GrantInput:
    role_id: strawberry.ID
    permission: str = strawberry.field(description="A permission key, resource:action.")


@strawberry.input
class AssignRoleInput:
    user_id: strawberry.ID
    role_id: strawberry.ID


@strawberry.type
class RolePayload:
    role: RoleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteRolePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AssignRolePayload:
    user: UserType | None = None
    role: RoleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _role(result: tuple[Role | None, list[UserError]]) -> RolePayload:
    role, errors = result
    return RolePayload(role=RoleType.from_row(role) if role else None, errors=errors)


async def _grant(info: Info, input: GrantInput, granted: bool) -> RolePayload:
    ctx = info.context

    async def run():
        return await admin.set_grant(ctx.rt, ctx.require_principal(),
                                     decode_id(input.role_id, RoleType, "roleId"),
                                     input.permission.strip(), granted)
    return _role(await attempt(info, run()))


async def _assign(info: Info, input: AssignRoleInput, assigned: bool) -> AssignRolePayload:
    ctx = info.context

    async def run():
        user_pk = decode_id(input.user_id, UserType, "userId")
        role = await admin.set_assignment(ctx.rt, ctx.require_principal(), user_pk,
                                          decode_id(input.role_id, RoleType, "roleId"),
                                          assigned)
        user = await UserType.scope(ctx.tenant_id).get(id=user_pk)
        return UserType.from_row(user), RoleType.from_row(role)
    result, errors = await attempt(info, run())
    if result is None:
        return AssignRolePayload(errors=errors)
    return AssignRolePayload(user=result[0], role=result[1])


@strawberry.type
class RoleMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_role(self, info: Info, input: CreateRoleInput) -> RolePayload:  # noqa: A002
        ctx = info.context
        return _role(await attempt(info, admin.create_role(
            ctx.rt, ctx.require_principal(), input.name, input.description)))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_role(self, info: Info, input: UpdateRoleInput) -> RolePayload:  # noqa: A002
        ctx = info.context

        async def run():
            return await admin.update_role(ctx.rt, ctx.require_principal(),
                                           decode_id(input.role_id, RoleType, "roleId"),
                                           input.name, input.description)
        return _role(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE, description="Refused while users hold it.")
    async def delete_role(self, info: Info, input: DeleteRoleInput) -> DeleteRolePayload:  # noqa: A002
        ctx = info.context

        async def run() -> strawberry.ID:
            pk = decode_id(input.role_id, RoleType, "roleId")
            await admin.delete_role(ctx.rt, ctx.require_principal(), pk)
            return to_global_id(RoleType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteRolePayload(deleted_id=deleted, errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def grant_permission(self, info: Info, input: GrantInput) -> RolePayload:  # noqa: A002
        return await _grant(info, input, True)

    @strawberry.mutation(permission_classes=WRITE)
    async def revoke_permission(self, info: Info, input: GrantInput) -> RolePayload:  # noqa: A002
        return await _grant(info, input, False)

    @strawberry.mutation(permission_classes=WRITE)
    async def assign_role(self, info: Info, input: AssignRoleInput) -> AssignRolePayload:  # noqa: A002
        return await _assign(info, input, True)

    @strawberry.mutation(permission_classes=WRITE)
    async def unassign_role(self, info: Info, input: AssignRoleInput) -> AssignRolePayload:  # noqa: A002
        return await _assign(info, input, False)
