"""The per-account inbound token: shown once, stored as its SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> tuple[str, str]:
    """(token, its hash). 32 random bytes: a hash without a key is enough for such a secret."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(token), stored_hash)
