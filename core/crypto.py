"""Encryption of personal data at rest: AES-256-GCM per value, and a keyed hash for look-ups.

A value is stored as a token ``v1.<key id>.<urlsafe base64 of nonce (12 bytes) + ciphertext + tag>``,
encrypted under the active key with a random 96-bit nonce and the associated data
``b"sellercare:v1:" + key id``. Older keys stay configured to decrypt until
``sellercare crypto rotate`` has re-encrypted every value under the active key (docs/operators.md).

``blind_index`` is HMAC-SHA256 under a separate index key: equal inputs give equal hashes, so a
column holding it answers exact look-ups (``email_hash == cipher().blind_index(normalised)``)
without decrypting anything. Callers normalise first (lowercase e-mail, E.164 phone).

Keys come from ``core.settings.Settings`` (``ENCRYPTION_KEYS``, ``INDEX_KEY``); each process calls
``configure(settings)`` once at start-up (``core.runtime.Runtime.start`` does) and then
``cipher()``. No message raised here ever includes a plaintext or a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.settings import Settings, SettingsError

__all__ = ["CryptoError", "FieldCipher", "cipher", "configure", "looks_like_token", "token_key_id"]

VERSION = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
AAD_PREFIX = b"sellercare:v1:"
KEY_ID_PATTERN = r"[A-Za-z0-9_-]{1,32}"
_KEY_ID = re.compile(KEY_ID_PATTERN)
# The body is at least a nonce and a tag: 28 bytes, 40 characters of padded base64.
_TOKEN = re.compile(rf"v1\.({KEY_ID_PATTERN})\.([A-Za-z0-9_-]{{38,}}={{0,2}})")


class CryptoError(Exception):
    """A token that cannot be decrypted (malformed, tampered, or under an unknown key)."""


def looks_like_token(value: str) -> bool:
    """Whether `value` has the shape of a token (not whether it decrypts)."""
    return _TOKEN.fullmatch(value) is not None


def token_key_id(token: str) -> str:
    """The id of the key a token was encrypted under."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise CryptoError("not an encrypted value (expected 'v1.<key id>.<base64>')")
    return match.group(1)


class FieldCipher:
    """Encrypts and decrypts field values; the first key encrypts, every key decrypts."""

    def __init__(self, keys: Sequence[tuple[str, bytes]], index_key: bytes) -> None:
        if not keys:
            raise ValueError("FieldCipher needs at least one key")
        self._keys: dict[str, AESGCM] = {}
        for key_id, key in keys:
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError(f"key id {key_id!r} must match {KEY_ID_PATTERN}")
            if key_id in self._keys:
                raise ValueError(f"key id {key_id!r} is given twice")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes, not {len(key)}")
            self._keys[key_id] = AESGCM(key)
        if len(index_key) != KEY_BYTES:
            raise ValueError(f"the index key must be {KEY_BYTES} bytes, not {len(index_key)}")
        self._index_key = bytes(index_key)
        self.key_id: str = keys[0][0]
        self._active = self._keys[self.key_id]

    def __repr__(self) -> str:
        return f"<FieldCipher active={self.key_id!r} keys={list(self._keys)!r}>"

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every configured key id, the active one first."""
        return tuple(self._keys)

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._active.encrypt(nonce, plaintext.encode("utf-8"), AAD_PREFIX + self.key_id.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{VERSION}.{self.key_id}.{body}"

    def decrypt(self, token: str) -> str:
        match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
        if match is None:
            raise CryptoError("not an encrypted value (expected 'v1.<key id>.<base64>')")
        key_id, body = match.group(1), match.group(2)
        aead = self._keys.get(key_id)
        if aead is None:
            raise CryptoError(f"value was encrypted under key id {key_id!r}, which is not configured "
                              "(ENCRYPTION_KEYS)")
        try:
            raw = base64.urlsafe_b64decode(body)
        except (binascii.Error, ValueError):
            raise CryptoError(f"malformed encrypted value (key id {key_id!r})") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise CryptoError(f"malformed encrypted value (key id {key_id!r})")
        try:
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], AAD_PREFIX + key_id.encode())
        except InvalidTag:
            raise CryptoError(f"encrypted value failed authentication (key id {key_id!r}): "
                              "tampered, or the key changed under this id") from None
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:  # authenticated, so only if something other than us encrypted it
            raise CryptoError(f"decrypted value is not UTF-8 (key id {key_id!r})") from None

    def needs_rotation(self, token: str) -> bool:
        """True if `token` is under another key than the active one, or is not a token at all
        (plaintext written before the column was encrypted: rotation encrypts it)."""
        match = _TOKEN.fullmatch(token)
        return match is None or match.group(1) != self.key_id

    def blind_index(self, value: str) -> str:
        """HMAC-SHA256 of `value` under the index key, 64 hex characters. Normalise `value` first."""
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


_cipher: FieldCipher | None = None


def configure(settings: Settings) -> FieldCipher:
    """Build this process's cipher from the settings; `cipher()` returns it from now on."""
    global _cipher
    if not settings.encryption_keys or not settings.index_key:
        missing = " and ".join(name for name, value in (("ENCRYPTION_KEYS", settings.encryption_keys),
                                                         ("INDEX_KEY", settings.index_key)) if not value)
        verb = "are" if " and " in missing else "is"
        if settings.production:
            raise SettingsError(f"{missing} {verb} required when SELLERCARE_ENV=production "
                                "(see 'Encryption keys' in docs/operators.md)")
        raise SettingsError(f"{missing} {verb} not set: build the settings with Settings.from_env(), "
                            "which derives development keys from SECRET_KEY")
    try:
        _cipher = FieldCipher(settings.encryption_keys, settings.index_key)
    except ValueError as exc:
        raise SettingsError(f"encryption keys: {exc}") from None
    return _cipher


def cipher() -> FieldCipher:
    """The cipher `configure()` built in this process."""
    if _cipher is None:
        raise RuntimeError("core.crypto is not configured: call core.crypto.configure(settings) at "
                           "start-up (core.runtime.Runtime.start does)")
    return _cipher
