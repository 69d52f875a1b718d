"""The buyer's portal token: `pt1.<tenant>.<customer>.<order>.<expires>.<HMAC-SHA256>`.

Handed out by `startReturn` once the buyer proved the order is theirs, it opens that one order of
that one customer in that one tenant for TTL seconds, and nothing else: it is no staff credential
and no session (nothing is stored, so there is nothing to revoke; it simply ends). The key is
derived from SECRET_KEY for this purpose alone, so no other signature of the app (export links,
form stamps, access tokens) is ever a valid portal token. The signature is checked before the
expiry, so an altered token is INVALID even when it has also expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from enum import Enum

TTL = 30 * 60
PREFIX = "pt1"
_CONTEXT = b"sellercare:portal-buyer-token"
_SHAPE = re.compile(r"^pt1\.(\d{1,18})\.(\d{1,18})\.(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Buyer:
    tenant_id: int
    customer_id: int
    order_id: int
    expires: int  # seconds since the epoch


class Verdict(Enum):
    EXPIRED = "expired"
    INVALID = "invalid"  # malformed, altered, or signed with another key


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(_key(secret), body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue(secret: str, tenant_id: int, customer_id: int, order_id: int, expires: int | None = None) -> str:
    """A token for this order; `expires` (a test's past time, say) defaults to TTL from now."""
    until = int(time.time()) + TTL if expires is None else expires
    body = f"{PREFIX}.{tenant_id}.{customer_id}.{order_id}.{until}"
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, token: str, now: float | None = None) -> Buyer | Verdict:
    match = _SHAPE.match(token.strip()) if len(token) < 200 else None
    if match is None:
        return Verdict.INVALID
    body = token.strip().rsplit(".", 1)[0]
    if not hmac.compare_digest(match.group(5), _mac(secret, body)):
        return Verdict.INVALID
    tenant, customer, order, expires = (int(match.group(i)) for i in range(1, 5))
    if expires <= (time.time() if now is None else now):
        return Verdict.EXPIRED
    return Buyer(tenant, customer, order, expires)
