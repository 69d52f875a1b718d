"""Meta's proofs that a request is theirs: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
raw body, keyed with the app secret>` on every webhook POST, and the verify token the admin typed
into Meta's dashboard, echoed on the subscription GET. Both compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def valid(body: bytes, header: str, app_secret: str) -> bool:
    """Whether `header` signs exactly these bytes (an empty secret never signs anything)."""
    if not app_secret:
        return False
    return hmac.compare_digest(sign(body, app_secret).encode(), header.strip().encode("utf-8", "replace"))


def same_token(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())
