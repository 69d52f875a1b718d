"""login, refreshToken, logout: the only public mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from core.auth import tokens
from core.auth.login import login as login_service
from core.errors import UserError, UserFacingError
from core.graphql.mutations import attempt
from core.graphql.permissions import Public
from core.i18n import N_


@strawberry.input
class LoginInput:
    email: str
    password: str
    tenant: str | None = strawberry.field(default=None, description="The merchant's slug.")


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


def payload(pair: tokens.TokenPair | None, errors: list[UserError]) -> AuthPayload:
    if pair is None:
        return AuthPayload(errors=errors)
    return AuthPayload(access_token=pair.access_token, refresh_token=pair.refresh_token,
                       expires_at=pair.expires_at, errors=errors)


async def _rotate(info: Info, token: str) -> tokens.TokenPair:
    pair = await tokens.rotate(info.context.rt.settings, token)
    if pair is None:
        raise UserFacingError("INVALID_REFRESH_TOKEN",
                              N_("The refresh token is not valid; log in again."),
                              field=["refreshToken"], domain="team")
    return pair


@strawberry.type
class AuthMutations:
    @strawberry.mutation(permission_classes=[Public])
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:  # noqa: A002
        ctx = info.context
        return payload(*await attempt(info, login_service(
            ctx.rt, input.email, input.password, input.tenant, ctx.client_ip)))

    @strawberry.mutation(permission_classes=[Public])
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> AuthPayload:  # noqa: A002
        return payload(*await attempt(info, _rotate(info, input.refresh_token)))

    @strawberry.mutation(permission_classes=[Public], description="Revoke a refresh token.")
    async def logout(self, info: Info, input: RefreshTokenInput) -> LogoutPayload:  # noqa: A002
        return LogoutPayload(ok=await tokens.revoke(input.refresh_token))
