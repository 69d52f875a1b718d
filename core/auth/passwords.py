"""argon2id password hashes; an unknown user costs the same as a wrong password.

Hashing takes about 0.3 s of CPU by design (RFC 9106's low-memory profile: 3 passes over 64 MiB),
so it runs in a worker thread (argon2 releases the interpreter lock): a login never stalls the
other requests of its process. The test environment alone uses argon2's cheapest parameters:
the suite creates hundreds of accounts, and what it proves does not depend on the cost.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from core.settings import Settings

_hasher = PasswordHasher()
_dummy: str | None = None


def configure(settings: Settings) -> None:
    """Called at start-up (core.runtime, the CLI): production and development keep the default cost."""
    global _hasher, _dummy
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if settings.env == "test" else PasswordHasher()
    _dummy = None


def _dummy_hash() -> str:
    global _dummy
    if _dummy is None:
        _dummy = _hasher.hash("sellercare-dummy-password")
    return _dummy


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
