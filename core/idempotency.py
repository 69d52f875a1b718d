"""Idempotency keys: a retried mutation answers what its first attempt answered, and runs once.

A client that cannot tell whether its mutation ran (a timeout, a dropped connection, an outage
at commit time) sends it again with the same `Idempotency-Key` header, as with Stripe's and
Shopify's APIs. Keys are kept per tenant and principal (a user's session or one API key), so two
callers never share one. `schema/idempotent.py` runs the mutation and these steps in one outer
transaction, which is what makes them atomic:

1. `claim()`: take the key (PostgreSQL: a transaction-scoped advisory lock, so a concurrent
   request with the same key is told IDEMPOTENCY_IN_PROGRESS at once; SQLite: the database's one
   connection already serialises transactions). A stored response of the same request is
   returned for replay; the key with another request's fingerprint is IDEMPOTENCY_KEY_REUSED.
   Otherwise the key's row is inserted (its unique index backs the lock up).
2. The mutation runs; every service transaction in it is a savepoint of the outer one.
3. `store()` writes the response into the row; the outer commit makes the mutation's writes and
   the row durable together. A crash or an outage before that commit rolls both back, and so
   does an answer that is not final (an error that says "try again", or an unexpected one).

Rows are kept for TTL and deleted by the `core.purge_idempotency_keys` cron job.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.auth.principal import Principal
from core.errors import ClientError, RetryableError
from core.i18n import N_
from core.models import IdempotencyKey
from core.sql import connection, fetch
from core.tenancy import scoped

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = timedelta(hours=24)
_KEY = re.compile(r"[\x20-\x7e]{1,255}")  # printable ASCII, space included

INVALID = N_("The Idempotency-Key header must be sent once, with 1 to 255 printable ASCII characters.")
REUSED = N_("This Idempotency-Key was already used for a different request: send a new key with a new request.")
IN_PROGRESS = N_("A request with this Idempotency-Key is still running. Try again in a few seconds.")
NEEDS_CREDENTIALS = N_("An Idempotency-Key is kept per caller: send it with your credentials.")


def check_key(values: Sequence[str], locale: str) -> str:
    """The key of a request's `Idempotency-Key` header(s); INVALID_IDEMPOTENCY_KEY unless it came
    once and is 1 to 255 printable ASCII characters."""
    if len(values) != 1 or not _KEY.fullmatch(values[0]):
        raise ClientError("INVALID_IDEMPOTENCY_KEY", INVALID, locale)
    return values[0]


def scope_of(principal: Principal) -> str:
    """Whose keys these are: one API key's, or a user's (sessions of one user share theirs)."""
    if principal.api_key_id is not None:
        return f"api_key:{principal.api_key_id}"
    return f"user:{principal.user_id}"


def fingerprint(operation_name: str | None, query: str | None, variables: Mapping[str, Any] | None) -> str:
    """sha256 of the request: its operation name, document and variables (JSON-safe: an uploaded
    file stands as its own digest). Key order and JSON spacing do not matter; the document's text
    does, character for character."""
    canonical = json.dumps({"operationName": operation_name, "query": query, "variables": variables or {}},
                           sort_keys=True, separators=(",", ":"))  # ASCII: lone surrogates are escaped
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """What `claim` found: a row of our own to complete, or the response to replay."""

    row: IdempotencyKey | None = None
    replay: str | None = None


def in_progress(locale: str) -> ClientError:
    return RetryableError("IDEMPOTENCY_IN_PROGRESS", IN_PROGRESS, locale)


async def _lock(tenant_id: int, scope: str, key: str) -> bool:
    """PostgreSQL: an advisory lock held until the outer transaction ends (or its connection
    dies), False when another transaction holds it. SQLite: every transaction of the process
    holds the database's one connection, so there is nothing more to take."""
    if connection().capabilities.dialect != "postgres":
        return True
    digest = hashlib.sha256(f"{tenant_id}\x00{scope}\x00{key}".encode()).digest()
    rows = await fetch("SELECT pg_try_advisory_xact_lock({p[0]}) AS locked",
                       [int.from_bytes(digest[:8], "big", signed=True)])
    return bool(rows[0]["locked"])


async def claim(tenant_id: int, scope: str, key: str, digest: str, locale: str) -> Claim:
    """Take the key inside the caller's outer transaction (see the module's docstring)."""
    if not await _lock(tenant_id, scope, key):
        raise in_progress(locale)
    mine = scoped(IdempotencyKey, tenant_id).filter(principal=scope, key=key)
    await mine.filter(created_at__lt=datetime.now(UTC) - TTL).delete()  # expired, not purged yet
    row = await mine.first()
    if row is not None:
        if row.fingerprint != digest:
            raise ClientError("IDEMPOTENCY_KEY_REUSED", REUSED, locale)
        if row.response is None:  # committed without a response: never written so, but never replayed
            raise in_progress(locale)
        return Claim(replay=row.response)
    try:
        async with in_transaction():  # a savepoint: a unique violation must not abort the outer one
            row = await IdempotencyKey.create(tenant_id=tenant_id, principal=scope, key=key, fingerprint=digest)
    except IntegrityError:  # another process took it meanwhile (SQLite shared between processes)
        raise in_progress(locale) from None
    return Claim(row=row)


async def store(row: IdempotencyKey, response: str) -> None:
    """The response to replay: written last, committed with the mutation's writes."""
    await scoped(IdempotencyKey, row.tenant_id).filter(id=row.id).update(response=response)


async def purge(now: datetime | None = None) -> int:
    """Delete keys older than TTL (every tenant's: the cron job's tidy-up, by age only)."""
    return await IdempotencyKey.filter(created_at__lt=(now or datetime.now(UTC)) - TTL).delete()
