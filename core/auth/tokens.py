"""Short-lived signed access tokens (JWT, HS256) and rotating refresh tokens.

A refresh token is random, stored as its SHA-256, and used once: using it revokes it and issues
the next one of its family. Presenting a revoked token again means it was stolen, so the whole
family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from tortoise.transactions import in_transaction

from core.errors import ClientError
from core.i18n import N_
from core.models import Membership, RefreshToken
from core.settings import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    tenant_id: int
    issued_at: float  # seconds since the epoch, with microseconds: compared with revoked_before


def issue_access_token(settings: Settings, user_id: int, tenant_id: int) -> tuple[str, datetime]:
    now = _now()
    expires = now + timedelta(seconds=settings.access_token_ttl)
    # `iat` keeps its fraction so that a token issued just after a revocation is not caught by it.
    claims = {"sub": str(user_id), "tid": tenant_id, "iat": now.timestamp(), "exp": expires,
              "typ": "access"}
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), expires


def decode_access_token(settings: Settings, token: str, locale: str = "en") -> AccessClaims:
    try:
        claims = jwt.decode(
            token, settings.secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise ClientError("TOKEN_EXPIRED", N_("The access token has expired."), locale) from None
    except jwt.PyJWTError:
        raise ClientError("INVALID_TOKEN", N_("The access token is not valid."), locale) from None
    if claims.get("typ") != "access" or not isinstance(claims.get("tid"), int) \
            or not isinstance(claims.get("iat"), int | float):
        raise ClientError("INVALID_TOKEN", N_("The access token is not valid."), locale)
    try:
        return AccessClaims(int(claims["sub"]), claims["tid"], float(claims["iat"]))
    except (TypeError, ValueError):
        raise ClientError("INVALID_TOKEN", N_("The access token is not valid."), locale) from None


async def issue_pair(
    settings: Settings, user_id: int, tenant_id: int, family: uuid.UUID | None = None
) -> TokenPair:
    access, expires = issue_access_token(settings, user_id, tenant_id)
    refresh = "rt_" + secrets.token_urlsafe(32)
    await RefreshToken.create(
        user_id=user_id,
        tenant_id=tenant_id,
        token_hash=sha256(refresh),
        family=family or uuid.uuid4(),
        expires_at=_now() + timedelta(seconds=settings.refresh_token_ttl),
    )
    return TokenPair(access, refresh, expires)


async def rotate(settings: Settings, refresh_token: str) -> TokenPair | None:
    """The next pair for a valid refresh token; None (and the family revoked) otherwise."""
    async with in_transaction():
        row = await RefreshToken.filter(token_hash=sha256(refresh_token)).select_for_update().first()
        if row is None:
            return None
        if row.revoked_at is not None:
            # A used token again: stolen. End the family and every access token already out.
            await RefreshToken.filter(family=row.family, revoked_at=None).update(revoked_at=_now())
            await revoke_access_tokens(row.user_id, row.tenant_id)
            return None
        if row.expires_at <= _now():
            return None
        row.revoked_at = _now()
        await row.save(update_fields=["revoked_at"])
        return await issue_pair(settings, row.user_id, row.tenant_id, family=row.family)


async def revoke_access_tokens(user_id: int, tenant_id: int) -> None:
    """Void every access token issued so far to this user for this tenant. Other devices' refresh
    tokens still work, so they come back with a fresh access token; a revoked family cannot."""
    await Membership.filter(user_id=user_id, tenant_id=tenant_id).update(revoked_before=_now())


async def revoke(refresh_token: str) -> bool:
    """Log out: revoke the token's whole family (this device's session) and the access tokens
    already issued for the tenant, which would otherwise stay valid until they expire."""
    row = await RefreshToken.filter(token_hash=sha256(refresh_token)).first()
    if row is None:
        return False
    async with in_transaction():
        await RefreshToken.filter(family=row.family, revoked_at=None).update(revoked_at=_now())
        await revoke_access_tokens(row.user_id, row.tenant_id)
    return True
