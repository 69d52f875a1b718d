"""Turn an `Authorization: Bearer` header into a Principal, or a clear error."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q

from core.auth.api_keys import find_api_key, looks_like_api_key
from core.auth.principal import Principal
from core.auth.tokens import decode_access_token
from core.errors import ClientError
from core.i18n import N_
from core.models import Membership
from core.settings import Settings


async def _member_locale(user_id: int, tenant_id: int, issued_at: float | None = None) -> str | None:
    """The tenant's default locale when the user is an active member of it, else None: one query
    proves the membership (and that an access token issued at `issued_at` was not revoked since)
    and gives the request what it needs of the tenant."""
    row = await Membership.filter(
        user_id=user_id, tenant_id=tenant_id, is_active=True, user__is_active=True
    ).first().values_list("tenant__default_locale", "revoked_before")
    if row is None:
        return None
    locale, revoked_before = row
    if issued_at is not None and revoked_before is not None and issued_at < revoked_before.timestamp():
        return None
    return str(locale)


async def authenticate(settings: Settings, header: str | None, locale: str) -> Principal | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ClientError(
            "INVALID_TOKEN", N_("Send credentials as 'Authorization: Bearer <token>'."), locale
        )
    if looks_like_api_key(token):
        key = await find_api_key(token)
        tenant_locale = None if key is None else await _member_locale(key.user_id, key.tenant_id)
        if key is None or tenant_locale is None:
            raise ClientError("INVALID_TOKEN", N_("The API key is not valid."), locale)
        await type(key).filter(id=key.id).update(last_used_at=datetime.now(UTC))
        return Principal(key.user_id, key.tenant_id, via="script", api_key_id=key.id, tenant_locale=tenant_locale)
    claims = decode_access_token(settings, token, locale)
    tenant_locale = await _member_locale(claims.user_id, claims.tenant_id, claims.issued_at)
    if tenant_locale is None:
        raise ClientError("INVALID_TOKEN", N_("The access token is not valid."), locale)
    return Principal(claims.user_id, claims.tenant_id, tenant_locale=tenant_locale)


async def still_authenticated(settings: Settings, header: str, principal: Principal, *, query: bool = True) -> bool:
    """Whether credentials accepted earlier still hold: a websocket outlives its access token and
    can outlive its membership. An access token's signature and expiry are checked every time (no
    query); with `query`, one query proves the membership, and an API key, still active."""
    token = header.partition(" ")[2].strip()
    if principal.api_key_id is None:
        try:
            claims = decode_access_token(settings, token)
        except ClientError:
            return False
        if (claims.user_id, claims.tenant_id) != (principal.user_id, principal.tenant_id):
            return False
        return not query or await _member_locale(claims.user_id, claims.tenant_id, claims.issued_at) is not None
    if not query:
        return True
    return await Membership.filter(
        Q(user__api_keys__expires_at=None) | Q(user__api_keys__expires_at__gt=datetime.now(UTC)),
        user_id=principal.user_id, tenant_id=principal.tenant_id, is_active=True, user__is_active=True,
        user__api_keys__id=principal.api_key_id, user__api_keys__revoked_at=None).exists()
