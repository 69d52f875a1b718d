"""The "form opened at" stamp: the offline anti-abuse check of the web contact form.

`GET /channels/form/<id>` hands out `<opened at>.<HMAC-SHA256>` over the account's public id and
that time, keyed from the app's SECRET_KEY. A submission must bring it back: a bot that posts
without loading the form, sooner than MIN_SECONDS after loading it, or with a stamp older than
MAX_AGE (or altered, or made for another form) is refused. No server state, no third party.
"""

from __future__ import annotations

import hashlib
import hmac
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


def _signature(secret: str, public_id: str, opened_at: int) -> str:
    return hmac.new(_key(secret), f"{public_id}:{opened_at}".encode(), hashlib.sha256).hexdigest()


def issue(secret: str, public_id: str, opened_at: int | None = None) -> str:
    at = int(time.time()) if opened_at is None else opened_at
    return f"{at}.{_signature(secret, public_id, at)}"


def check(secret: str, public_id: str, stamp: str, now: float | None = None) -> Verdict:
    at_text, _, signature = stamp.partition(".")
    if not at_text.isdigit() or len(at_text) > 12:
        return Verdict.INVALID
    at = int(at_text)
    if not hmac.compare_digest(signature, _signature(secret, public_id, at)):
        return Verdict.INVALID
    age = (time.time() if now is None else now) - at
    if age > MAX_AGE or age < -5:  # (a few seconds of clock skew between API processes)
        return Verdict.INVALID
    return Verdict.TOO_FAST if age < MIN_SECONDS else Verdict.OK
