"""createApiKey (the key is shown once) and revokeApiKey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core import audit
from core.auth.api_keys import create_api_key
from core.errors import UserError, UserFacingError, UserFacingErrors
from core.graphql.mutations import attempt
from core.graphql.permissions import Requires
from core.i18n import N_
from core.models import ApiKey
from core.tenancy import scoped

WRITE: list[type[BasePermission]] = [Requires("team.apikey", "write")]


@strawberry.input
class CreateApiKeyInput:
    name: str
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the key stops working (at most a year ahead); none: never.")


@strawberry.input
class RevokeApiKeyInput:
    prefix: str


@strawberry.type
class ApiKeyPayload:
    key: str | None = strawberry.field(default=None, description="Shown only this once.")
    prefix: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


MAX_KEY_LIFETIME = timedelta(days=366)


async def _create(info: Info, name: str, expires_at: datetime | None) -> tuple[str, str]:
    principal = info.context.require_principal()
    if principal.api_key_id is not None:
        # A leaked key must not be able to outlive its own revocation by minting others.
        raise UserFacingError("API_KEY_CANNOT_CREATE_KEYS",
                              N_("An API key cannot create API keys: log in as a person to do it."),
                              domain="team")
    name = name.strip()
    errors = []
    if not name or len(name) > 100:
        errors.append(UserFacingError("INVALID_NAME", N_("A key name has 1 to 100 characters."),
                                      field=["name"], domain="team"))
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        now = datetime.now(UTC)
        if not now < expires_at <= now + MAX_KEY_LIFETIME:
            errors.append(UserFacingError(
                "INVALID_EXPIRY", N_("A key expires in the future, at most {days} days from now."),
                field=["expiresAt"], params={"days": MAX_KEY_LIFETIME.days}, domain="team"))
    if errors:
        raise UserFacingErrors(errors)
    row, plain = await create_api_key(principal.tenant_id, principal.user_id, name, expires_at)
    await audit.record(principal, principal.tenant_id, "apikey.create", "ApiKey", row.id,
                       None, {"name": name, "prefix": row.prefix,
                              "expires_at": expires_at.isoformat() if expires_at else None})
    return plain, row.prefix


async def _revoke(info: Info, prefix: str) -> tuple[None, str]:
    principal = info.context.require_principal()
    updated = await scoped(ApiKey, principal.tenant_id).filter(
        prefix=prefix, revoked_at=None).update(revoked_at=datetime.now(UTC))
    if not updated:
        raise UserFacingError("NOT_FOUND", N_("No such API key."), field=["prefix"],
                              domain="team")
    await audit.record(principal, principal.tenant_id, "apikey.revoke", "ApiKey", prefix)
    return None, prefix


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:  # noqa: A002
        result, errors = await attempt(info, _create(info, input.name, input.expires_at))
        return ApiKeyPayload(key=result[0], prefix=result[1], errors=errors) if result else \
            ApiKeyPayload(errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> ApiKeyPayload:  # noqa: A002
        result, errors = await attempt(info, _revoke(info, input.prefix))
        return ApiKeyPayload(prefix=result[1] if result else None, errors=errors)
