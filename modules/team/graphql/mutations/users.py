"""createUser: add a person to the merchant's account."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core import identity
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.permissions import Requires
from modules.team.graphql.types import UserType


@strawberry.input
class CreateUserInput:
    email: str
    name: str = ""
    password: str | None = strawberry.field(
        default=None, description="At least 8 characters; omit to invite without a password.")


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
