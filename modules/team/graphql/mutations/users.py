"""createUser: add a person to the merchant's account."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core import identity
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.team.graphql.types import UserType


@strawberry.input
class CreateUserInput:
    email: str
    name: str = ""
    password: str | None = strawberry.field(
        default=None, description="At least 8 characters; omit to invite without a password.")


@strawberry.input
class SetUserActiveInput:
    user_id: strawberry.ID
    active: bool


@strawberry.type
class UserPayload:
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserMutations:
    @strawberry.mutation(permission_classes=[Requires("team.user", "write")])
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:  # noqa: A002
        ctx = info.context
        principal = ctx.require_principal()
        user, errors = await attempt(info, identity.add_user(
            principal.tenant_id, input.email, input.name, input.password, principal))
        return UserPayload(user=UserType.from_row(user) if user else None, errors=errors)

    @strawberry.mutation(
        permission_classes=[Requires("team.user", "write")],
        description="Deactivate a member (their tokens stop working at once) or reactivate one.")
    async def set_user_active(self, info: Info, input: SetUserActiveInput) -> UserPayload:  # noqa: A002
        ctx = info.context

        async def run() -> UserType:
            user_id = decode_id(input.user_id, UserType, "userId")
            await identity.set_member_active(ctx.require_principal(), user_id, input.active)
            return UserType.from_row(await UserType.scope(ctx.tenant_id).get(id=user_id))
        user, errors = await attempt(info, run())
        return UserPayload(user=user, errors=errors)
