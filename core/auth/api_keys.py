"""API keys: `sck_<prefix>_<secret>`; the prefix finds the row, the secret's hash proves it."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime

from core.auth.tokens import sha256
from core.models import ApiKey

PREFIX = "sck_"


def looks_like_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


async def create_api_key(tenant_id: int, user_id: int, name: str,
                         expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create a key; the plain key is returned once and never stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = await ApiKey.create(
        tenant_id=tenant_id, user_id=user_id, name=name, prefix=prefix, secret_hash=sha256(secret),
        expires_at=expires_at,
    )
    return key, f"{PREFIX}{prefix}_{secret}"


async def find_api_key(token: str) -> ApiKey | None:
    body = token.removeprefix(PREFIX)
    prefix, sep, secret = body.partition("_")
    if not sep or not prefix or not secret:
        return None
    key = await ApiKey.filter(prefix=prefix, revoked_at=None).first()
    if key is None or not hmac.compare_digest(key.secret_hash, sha256(secret)):
        return None
    now = datetime.now(UTC)
    if key.expires_at is not None and key.expires_at <= now:
        return None
    return key
