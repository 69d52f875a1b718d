"""The "form opened at" stamp: the offline anti-abuse check of the web contact form.

`GET /channels/form/<id>` hands out `<opened at>.<nonce>.<HMAC-SHA256>` over the account's public
id, that time and a random nonce, keyed from the app's SECRET_KEY. A submission must bring it
back: a bot that posts without loading the form, sooner than MIN_SECONDS after loading it, or
with a stamp older than MAX_AGE (or altered, or made for another form) is refused. No third
party. The nonce makes a stamp single-use: it becomes the submission's provider id, unique per
account in the database, so a second post with the same stamp (a double click, a replay) creates
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from enum import Enum

MIN_SECONDS = 3  # a person takes longer than this to fill in a form
MAX_AGE = 2 * 3600  # a form left open longer is reloaded
_CONTEXT = b"sellercare.channels.web_form.v1"


class Verdict(Enum):
    OK = "ok"
    TOO_FAST = "too_fast"
    INVALID = "invalid"  # forged, altered, for another form, or expired: one answer for all


def _key(secret: str) -> bytes:
    """A key of its own for stamps, so one never signs what another part of the app signs."""
    return hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()


def _signature(secret: str, public_id: str, opened_at: int, nonce: str) -> str:
    return hmac.new(_key(secret), f"{public_id}:{opened_at}:{nonce}".encode(), hashlib.sha256).hexdigest()


def issue(secret: str, public_id: str, opened_at: int | None = None) -> str:
    at = int(time.time()) if opened_at is None else opened_at
    nonce = secrets.token_hex(16)
    return f"{at}.{nonce}.{_signature(secret, public_id, at, nonce)}"


def nonce(stamp: str) -> str:
    """The stamp's one-time id (of a stamp `check` passed)."""
    return stamp.split(".")[1]


def check(secret: str, public_id: str, stamp: str, now: float | None = None) -> Verdict:
    parts = stamp.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12 or len(parts[1]) != 32:
        return Verdict.INVALID
    at_text, once, signature = parts
    at = int(at_text)
    if not hmac.compare_digest(signature, _signature(secret, public_id, at, once)):
        return Verdict.INVALID
    age = (time.time() if now is None else now) - at
    if age > MAX_AGE or age < -5:  # (a few seconds of clock skew between API processes)
        return Verdict.INVALID
    return Verdict.TOO_FAST if age < MIN_SECONDS else Verdict.OK
