"""Signed, expiring links to stored files: `GET /files/<token>` (schema/app.py) serves one.

The token carries the key, the file's name and its type, an expiry and an HMAC-SHA256 over them
under a key derived from SECRET_KEY for this purpose only. The token is the credential (a link
an agent opens in a new tab carries no bearer token), so it is short-lived; a link made for one
file cannot be turned into another, and the tenant is the key's own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from core.i18n import N_
from core.settings import Settings

LINK_TTL = 15 * 60  # seconds a link works: long enough to open, too short to pass around
PATH = "/files/"
FILE_GONE = N_("This file no longer exists.")
_signing_key = b""


@dataclass(frozen=True)
class Linked:
    key: str
    name: str
    content_type: str


def configure(settings: Settings) -> None:
    global _signing_key
    _signing_key = hmac.new(settings.secret_key.encode(), b"sellercare:stored-file-link", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str) -> str:
    if not _signing_key:
        raise RuntimeError("core.storage.configure(settings) was not called (Runtime.start does)")
    return _b64(hmac.new(_signing_key, body.encode("ascii"), hashlib.sha256).digest())


def url_for(key: str, name: str, content_type: str, *, expires: int | None = None) -> str:
    """The path of a link to this file, good for LINK_TTL seconds (`expires` for tests)."""
    until = int(time.time()) + LINK_TTL if expires is None else expires
    body = _b64(json.dumps([key, name, content_type, until], separators=(",", ":")).encode())
    return f"{PATH}{body}.{_mac(body)}"


def verify(token: str, now: float | None = None) -> Linked | None:
    """What a genuine, unexpired token names; None for anything else."""
    body, _, mac = token.partition(".")
    if not body or len(token) > 4096 or not hmac.compare_digest(mac, _mac(body)):
        return None
    try:
        key, name, content_type, until = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not isinstance(until, int) or until <= (time.time() if now is None else now):
        return None
    return Linked(str(key), str(name), str(content_type))
