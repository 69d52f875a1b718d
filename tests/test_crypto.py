"""PII encryption at rest: the cipher, its keys in the settings, the field, and key rotation.

The field and rotation run end to end in a subprocess (tests/fixtures/crypto_steps.py: throwaway
models in tortoise apps of their own, which this process's tortoise context cannot take), on a fresh
database of the suite's backend (SELLERCARE_TEST_DB: a SQLite file or a PostgreSQL database), while this process
reads the raw columns directly (sqlite3 / asyncpg), not through tortoise.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tortoise.exceptions import ConfigurationError

from core import crypto
from core.crypto import CryptoError, FieldCipher, cipher, configure, looks_like_token
from core.encrypted_field import EncryptedTextField
from core.settings import Settings, SettingsError, parse_encryption_keys
from tests.conftest import BACKEND
from tests.scratch import ScratchDatabase, reported_steps, scratch_database

ROOT = Path(__file__).resolve().parents[1]
STEPS = ROOT / "tests" / "fixtures" / "crypto_steps.py"
KEY_A, KEY_B, INDEX = os.urandom(32), os.urandom(32), os.urandom(32)
PROD = {"SELLERCARE_ENV": "production", "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgres://u@db/x", "REDIS_URL": "redis://r:6379/0"}


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def make(*keys: tuple[str, bytes], index: bytes = INDEX) -> FieldCipher:
    return FieldCipher(keys or (("A", KEY_A),), index)


# -- the cipher --------------------------------------------------------------------------------

@pytest.mark.parametrize("plaintext", ["ann@example.com", "", "Hauptstraße 5, 10115 Berlin 🏠", "x" * 10_000])
def test_round_trip(plaintext: str) -> None:
    fc = make()
    token = fc.encrypt(plaintext)
    assert fc.decrypt(token) == plaintext
    assert looks_like_token(token) and (plaintext not in token or not plaintext)
    version, key_id, body = token.split(".")
    assert (version, key_id) == ("v1", "A") and fc.key_id == "A"
    raw = base64.urlsafe_b64decode(body)
    assert len(raw) == 12 + len(plaintext.encode()) + 16  # nonce, ciphertext, tag


def test_the_same_value_gives_a_new_token_each_time() -> None:
    fc = make()
    tokens = {fc.encrypt("ann@example.com") for _ in range(50)}
    assert len(tokens) == 50
    assert len({base64.urlsafe_b64decode(t.split(".")[2])[:12] for t in tokens}) == 50  # nonces
    assert {fc.decrypt(t) for t in tokens} == {"ann@example.com"}


def test_a_tampered_token_is_refused_without_revealing_anything() -> None:
    fc = make(("A", KEY_A), ("B", KEY_B))
    token = fc.encrypt("ann@example.com")
    version, key_id, body = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body))
    for position in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        bad = bytearray(raw)
        bad[position] ^= 1
        tampered = f"{version}.{key_id}.{base64.urlsafe_b64encode(bytes(bad)).decode()}"
        with pytest.raises(CryptoError, match="failed authentication") as exc:
            fc.decrypt(tampered)
        assert "ann@example.com" not in str(exc.value) and b64(KEY_A) not in str(exc.value)
    # The key id is authenticated too (associated data): relabelled under B, it does not open.
    with pytest.raises(CryptoError, match="failed authentication"):
        fc.decrypt(f"{version}.B.{body}")
    short = f"v1.A.{base64.urlsafe_b64encode(bytes(raw[:27])).decode()}"
    for broken in (short, token[:-4], "v1.A.!!!!", "v2" + token[2:], "ann@example.com", ""):
        with pytest.raises(CryptoError):
            fc.decrypt(broken)


def test_an_unknown_key_id_is_refused() -> None:
    token = make(("B", KEY_B)).encrypt("ann@example.com")
    with pytest.raises(CryptoError, match="key id 'B', which is not configured") as exc:
        make(("A", KEY_A)).decrypt(token)
    assert "ann@example.com" not in str(exc.value)


def test_older_keys_decrypt_and_need_rotation() -> None:
    old = make(("A", KEY_A)).encrypt("ann@example.com")
    fc = make(("B", KEY_B), ("A", KEY_A))
    assert fc.key_id == "B" and fc.key_ids == ("B", "A")
    assert fc.decrypt(old) == "ann@example.com" and fc.needs_rotation(old)
    new = fc.encrypt("ann@example.com")
    assert new.startswith("v1.B.") and not fc.needs_rotation(new)
    assert fc.needs_rotation("plaintext from before the column was encrypted")
    assert "KEY" not in repr(fc) and b64(KEY_A) not in repr(fc) and "'B'" in repr(fc)


def test_blind_index_is_deterministic_and_keyed() -> None:
    fc = make()
    digest = fc.blind_index("ann@example.com")
    assert digest == make(("Z", KEY_B)).blind_index("ann@example.com")  # the index key decides
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == hmac.new(INDEX, b"ann@example.com", hashlib.sha256).hexdigest()
    assert digest != hashlib.sha256(b"ann@example.com").hexdigest()
    assert digest != make(index=os.urandom(32)).blind_index("ann@example.com")
    assert fc.blind_index("Ann@example.com") != digest  # callers normalise, not the function


def test_cipher_is_configured_by_the_runtime(rt: Any) -> None:
    assert cipher().key_id == "dev"  # derived from the suite's SECRET_KEY
    assert cipher().decrypt(cipher().encrypt("x")) == "x"


def test_cipher_says_when_it_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_cipher", None)
    with pytest.raises(RuntimeError, match=r"configure\(settings\)"):
        cipher()


# -- keys in the settings ----------------------------------------------------------------------

def test_keys_are_read_from_the_environment() -> None:
    env = {**PROD, "ENCRYPTION_KEYS": f" k2:{b64(KEY_B)} , k1:{b64(KEY_A).rstrip('=')}",
           "INDEX_KEY": base64.b64encode(INDEX).decode()}
    settings = Settings.from_env(env)
    assert settings.encryption_keys == (("k2", KEY_B), ("k1", KEY_A))
    assert settings.index_key == INDEX
    assert b64(KEY_A) not in repr(settings) and "index_key" not in repr(settings)
    fc = FieldCipher(settings.encryption_keys, settings.index_key)
    assert fc.key_id == "k2"


@pytest.mark.parametrize("value,needle", [
    (f"k1:{b64(KEY_A)[:-6]}!!!!!!", "ENCRYPTION_KEYS key 'k1' is not valid base64"),
    (f"k1:{b64(KEY_A[:16])}", "ENCRYPTION_KEYS key 'k1' must decode to 32 bytes, not 16"),
    (f"k1:{b64(KEY_A + b'x')}", "must decode to 32 bytes, not 33"),
    (b64(KEY_A), "entry 1 must be 'id:base64key'"),
    (f"k.1:{b64(KEY_A)}", "entry 1: the key id must be"),
    (f"k1:{b64(KEY_A)},k1:{b64(KEY_B)}", "key id 'k1' is given twice"),
    (" , ", "ENCRYPTION_KEYS is empty"),
])
def test_bad_encryption_keys_are_refused_without_echoing_them(value: str, needle: str) -> None:
    with pytest.raises(SettingsError, match=needle) as exc:
        Settings.from_env({**PROD, "ENCRYPTION_KEYS": value, "INDEX_KEY": b64(INDEX)})
    message = str(exc.value)
    assert b64(KEY_A)[:20] not in message and b64(KEY_B)[:20] not in message
    assert exc.value.__cause__ is None
    assert exc.value.__context__ is None or exc.value.__suppress_context__


@pytest.mark.parametrize("value,needle", [
    ("not base64 at all!", "INDEX_KEY is not valid base64"),
    (b64(INDEX[:31]), "INDEX_KEY must decode to 32 bytes, not 31"),
])
def test_a_bad_index_key_is_refused_without_echoing_it(value: str, needle: str) -> None:
    with pytest.raises(SettingsError, match=needle) as exc:
        Settings.from_env({**PROD, "ENCRYPTION_KEYS": f"k1:{b64(KEY_A)}", "INDEX_KEY": value})
    assert value not in str(exc.value) and value[:10] not in str(exc.value)


@pytest.mark.parametrize("given,missing", [
    ({}, "ENCRYPTION_KEYS and INDEX_KEY are required"),
    ({"ENCRYPTION_KEYS": f"k1:{b64(KEY_A)}"}, "INDEX_KEY is required"),
    ({"INDEX_KEY": b64(INDEX)}, "ENCRYPTION_KEYS is required"),
])
def test_production_needs_its_keys(given: dict[str, str], missing: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_cipher", None)
    settings = Settings.from_env({**PROD, **given})
    assert settings.production
    # Read without them (so the settings object exists), but no process starts:
    # core.crypto.configure() is the first thing Runtime.start does.
    with pytest.raises(SettingsError, match=f"{missing} when SELLERCARE_ENV=production") as exc:
        configure(settings)
    assert b64(KEY_A) not in str(exc.value) and b64(INDEX) not in str(exc.value)
    with pytest.raises(RuntimeError):
        cipher()


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SELLERCARE_", "TEST_")) and k not in {"ENCRYPTION_KEYS", "INDEX_KEY"}}
    env.update({**PROD, "DATABASE_URL": f"sqlite://{tmp_path / 'prod.sqlite3'}",
                "REDIS_URL": "redis://127.0.0.1:1/0", "SELLERCARE_VAR_DIR": str(tmp_path)})
    result = subprocess.run([sys.executable, "-m", "scripts.cli", "crypto", "rotate"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "ENCRYPTION_KEYS and INDEX_KEY are required when SELLERCARE_ENV=production" in result.stderr
    assert "Traceback" not in result.stderr


def test_development_keys_are_derived_from_the_secret(tmp_path: Path) -> None:
    a = Settings.from_env({"SELLERCARE_ENV": "test", "SECRET_KEY": "t" * 48})
    b = Settings.from_env({"SELLERCARE_ENV": "development", "SECRET_KEY": "t" * 48})
    assert a.encryption_keys == b.encryption_keys and a.index_key == b.index_key
    [(key_id, key)] = a.encryption_keys
    assert key_id == "dev" and len(key) == 32 and len(a.index_key) == 32 and key != a.index_key
    other = Settings.from_env({"SELLERCARE_ENV": "test", "SECRET_KEY": "u" * 48})
    assert other.encryption_keys[0][1] != key and other.index_key != a.index_key
    # Known answer: HKDF-SHA256, no salt, info "sellercare:encryption-key:dev" / "sellercare:index-key".
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def hkdf(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(b"t" * 48)

    assert key == hkdf(b"sellercare:encryption-key:dev") and a.index_key == hkdf(b"sellercare:index-key")
    # Without SECRET_KEY, from the per-checkout secret in var/: the same for every process.
    first = Settings.from_env({"SELLERCARE_VAR_DIR": str(tmp_path)})
    second = Settings.from_env({"SELLERCARE_VAR_DIR": str(tmp_path)})
    assert first.encryption_keys == second.encryption_keys and first.index_key == second.index_key
    # Keys given in the environment win over the derived ones, outside production too.
    given = Settings.from_env({"SELLERCARE_ENV": "test", "SECRET_KEY": "t" * 48,
                               "ENCRYPTION_KEYS": f"k9:{b64(KEY_A)}"})
    assert given.encryption_keys == (("k9", KEY_A),) and given.index_key == a.index_key


def test_parse_encryption_keys_keeps_the_order() -> None:
    assert [k for k, _ in parse_encryption_keys(f"c:{b64(KEY_A)},b:{b64(KEY_B)},a:{b64(INDEX)}")] == [
        "c", "b", "a"]


# -- the field ---------------------------------------------------------------------------------

@pytest.mark.parametrize("option", [{"unique": True}, {"db_index": True}, {"primary_key": True},
                                    {"db_default": "x"}])
def test_the_field_refuses_options_that_would_act_on_ciphertext(option: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        EncryptedTextField(**option)


def test_the_migration_writer_imports_the_field_by_path() -> None:
    path, args, kwargs = EncryptedTextField(null=True, description="e-mail").deconstruct()
    assert (path, args, kwargs) == ("core.encrypted_field.EncryptedTextField", [],
                                    {"null": True, "description": "e-mail"})


# -- end to end, in a subprocess ---------------------------------------------------------------

class Database(ScratchDatabase):
    """The crypto scenario's database."""

    async def contacts(self) -> list[tuple[str, str, str | None]]:
        return [(r[0], r[1], r[2]) for r in await self.rows(
            "SELECT email, email_hash, phone FROM probe_contact ORDER BY id")]

    async def notes(self) -> list[str | None]:
        return [r[0] for r in await self.rows("SELECT body FROM probe_note ORDER BY id")]

    async def steps(self, keys: str, *steps: str, returncode: int = 0) -> dict[str, Any]:
        """Run steps of crypto_steps.py with ENCRYPTION_KEYS=`keys`; what each step reported."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SELLERCARE_", "TEST_")) and k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update({"PYTHONPATH": str(ROOT), "ENCRYPTION_KEYS": keys, "INDEX_KEY": b64(INDEX)})
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(STEPS), self.url, str(self.work), *steps, cwd=self.work, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out_b, err_b = await asyncio.wait_for(proc.communicate(), timeout=300)
        out, err = out_b.decode(), err_b.decode()
        assert proc.returncode == returncode, f"steps {steps} ended {proc.returncode}:\n{out}\n{err[-6000:]}"
        for key in (KEY_A, KEY_B, INDEX):  # no key material is ever printed
            assert b64(key) not in out + err and b64(key).rstrip("=") not in out + err
        return reported_steps(out)


@pytest.fixture(params=[BACKEND])
async def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with scratch_database(request.param, tmp_path, "crypto") as db:
        yield Database(db.backend, db.url, db.work)


EMAILS = [f"user{i}@example.com" for i in range(7)]
EMAILS[2] = "changed@example.com"  # written by update()
PHONES = [f"+49151000000{i}" if i % 2 == 0 else None for i in range(7)]
NOTES = ["first note, with ünïcödé", "", None, "legacy plaintext body"]


def key_ids(values: list[str | None]) -> list[str | None]:
    return [v.split(".")[1] if v is not None and looks_like_token(v) else v for v in values]


async def test_encrypted_fields_and_rotation_end_to_end(fresh_db: Database) -> None:
    db = fresh_db
    only_a, b_then_a = f"A:{b64(KEY_A)}", f"B:{b64(KEY_B)},A:{b64(KEY_A)}"

    facts = await db.steps(only_a, "makemigrations", "migrate", "write")
    # The migration writer imports the field by its path, and the migration applies.
    for text in facts["makemigrations"]["files"].values():
        assert "from core.encrypted_field import EncryptedTextField" in text
    assert "('email', EncryptedTextField())" in facts["makemigrations"]["files"]["crypto_probe_migrations"]
    assert "('phone', EncryptedTextField(null=True))" in facts["makemigrations"]["files"][
        "crypto_probe_migrations"]

    # Reads through the ORM give plaintext: instances, values(), values_list(), only().
    write = facts["write"]
    assert write["key_id"] == "A"
    assert write["instances"] == write["values_list"] == write["only"] == EMAILS
    assert write["values"] == [{"email": e, "phone": p} for e, p in zip(EMAILS, PHONES, strict=True)]
    assert write["notes"] == NOTES
    assert write["by_hash"] == "user1@example.com"
    assert write["phone_isnull"] == write["phone_none"] == 3
    for lookup, message in write["refused"].items():
        assert message is not None and "blind-index" in message, lookup
        assert "user0@example.com" not in message
    assert write["constructor_keeps_token"] and write["update_from_dict_keeps_token"]

    # On disk: tokens under A and keyed hashes, never the plaintext.
    contacts = await db.contacts()
    assert all(email.startswith("v1.A.") for email, _, _ in contacts)
    assert key_ids([phone for _, _, phone in contacts]) == ["A" if p else None for p in PHONES]
    assert [h for _, h, _ in contacts] == [
        hmac.new(INDEX, e.encode(), hashlib.sha256).hexdigest() for e in EMAILS]
    raw = json.dumps(contacts + [tuple(await db.notes())])
    assert not any(value in raw for value in EMAILS + [p for p in PHONES if p] + NOTES[:1])
    assert key_ids(await db.notes()) == ["A", "A", None, "legacy plaintext body"]

    # Killed in its second batch: the first batch is committed under B, the second rolled back.
    await db.steps(b_then_a, "crash", returncode=3)
    contacts = await db.contacts()
    assert key_ids([e for e, _, _ in contacts]) == ["B", "B"] + ["A"] * 5
    assert key_ids([p for _, _, p in contacts]) == ["B", None, "A", None, "A", None, "A"]

    # Re-run: finishes the job, then has nothing left to do.
    facts = await db.steps(b_then_a, "rotate", "read")
    assert facts["rotate"] == {"key_id": "B", "counts": {"probe.Contact": 5, "probe_notes.Note": 3},
                               "again": {"probe.Contact": 0, "probe_notes.Note": 0}}
    contacts = await db.contacts()
    assert key_ids([e for e, _, _ in contacts]) == ["B"] * 7
    assert key_ids([p for _, _, p in contacts]) == ["B" if p else None for p in PHONES]
    assert key_ids(await db.notes()) == ["B", "B", None, "B"]  # the legacy plaintext is encrypted now
    assert facts["read"] == {"contacts": [{"email": e, "phone": p} for e, p in zip(EMAILS, PHONES, strict=True)],
                             "notes": NOTES}

    # Dropping B too early: reads fail loudly, naming the key id, not the value.
    error = (await db.steps(only_a, "read"))["read"]["error"]
    assert "key id 'B', which is not configured" in error
    assert not any(e in error for e in EMAILS)


def test_the_rotate_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SELLERCARE_", "TEST_"))
           and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "INDEX_KEY"}}
    env.update({"SELLERCARE_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}",
                "SELLERCARE_ENV": "development"})

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scripts.cli", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    assert run("migrate").returncode == 0
    result = run("crypto", "rotate", "--batch-size", "100")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines == ["no encrypted fields in the installed modules"] or all(
        line.endswith(" rows re-encrypted") for line in lines), result.stdout
    assert "Traceback" not in result.stderr
