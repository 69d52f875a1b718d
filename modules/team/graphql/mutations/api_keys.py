"""createApiKey (the key is shown once) and revokeApiKey."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core import audit
from core.auth.api_keys import create_api_key
from core.errors import UserError, UserFacingError
from core.graphql.mutations import attempt
from core.graphql.permissions import Requires
from core.i18n import N_
from core.models import ApiKey
from core.tenancy import scoped

WRITE: list[type[BasePermission]] = [Requires("team.apikey", "write")]


@strawberry.input
class CreateApiKeyInput:
    name: str


@strawberry.input
class RevokeApiKeyInput:
    prefix: str


@strawberry.type
class ApiKeyPayload:
    key: str | None = strawberry.field(default=None, description="Shown only this once.")
    prefix: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _create(info: Info, name: str) -> tuple[str, str]:
    principal = info.context.require_principal()
    name = name.strip()
    if not name or len(name) > 100:
        raise UserFacingError("INVALID_NAME", N_("A key name has 1 to 100 characters."),
                              field=["name"], domain="team")
    row, plain = await create_api_key(principal.tenant_id, principal.user_id, name)
    await audit.record(principal, principal.tenant_id, "apikey.create", "ApiKey", row.id,
                       None, {"name": name, "prefix": row.prefix})
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
        result, errors = await attempt(info, _create(info, input.name))
        return ApiKeyPayload(key=result[0], prefix=result[1], errors=errors) if result else \
            ApiKeyPayload(errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> ApiKeyPayload:  # noqa: A002
        result, errors = await attempt(info, _revoke(info, input.prefix))
        return ApiKeyPayload(prefix=result[1] if result else None, errors=errors)
