"""Settings read from the environment, once, so every process is configured the same way."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SettingsError(RuntimeError):
    """A configuration that must not start (for instance production without a secret)."""


DEFAULT_DATABASE_URL = "sqlite://var/sellercare.sqlite3"


def _dev_secret(var_dir: Path) -> str:
    """A per-checkout secret for development, kept in var/ so several local processes agree."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


ENCRYPTION_KEY_BYTES = 32
DEV_KEY_ID = "dev"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # the same rule as core.crypto.KEY_ID_PATTERN


def _decode_key(text: str, what: str) -> bytes:
    """32 bytes from (urlsafe or standard) base64, padding optional; errors never echo the key."""
    text = text.strip()
    try:
        raw = base64.b64decode((text + "=" * (-len(text) % 4)).translate(str.maketrans("-_", "+/")),
                               validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{what} is not valid base64") from None
    if len(raw) != ENCRYPTION_KEY_BYTES:
        raise SettingsError(f"{what} must decode to {ENCRYPTION_KEY_BYTES} bytes, not {len(raw)}")
    return raw


def parse_encryption_keys(value: str) -> tuple[tuple[str, bytes], ...]:
    """ENCRYPTION_KEYS: `id1:base64key,id0:base64key`, the active key first."""
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate((e.strip() for e in value.split(",")), start=1):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not encoded.strip():
            raise SettingsError(f"ENCRYPTION_KEYS entry {position} must be 'id:base64key'")
        if not _KEY_ID.fullmatch(key_id):
            raise SettingsError(f"ENCRYPTION_KEYS entry {position}: the key id must be 1 to 32 letters, "
                                "digits, '-' or '_'")
        if any(key_id == known for known, _ in keys):
            raise SettingsError(f"ENCRYPTION_KEYS: key id {key_id!r} is given twice")
        keys.append((key_id, _decode_key(encoded, f"ENCRYPTION_KEYS key {key_id!r}")))
    if not keys:
        raise SettingsError("ENCRYPTION_KEYS is empty: expected 'id:base64key[,old_id:base64key...]'")
    return tuple(keys)


def _derive(secret: str, purpose: bytes) -> bytes:
    """A development key from SECRET_KEY (HKDF-SHA256): every local process derives the same one."""
    return HKDF(algorithm=hashes.SHA256(), length=ENCRYPTION_KEY_BYTES, salt=None,
                info=b"sellercare:" + purpose).derive(secret.encode("utf-8"))


TRANSLATION_PROVIDERS = ("libretranslate",)


def _translation(env: dict[str, str]) -> tuple[str, str, str, float]:
    """TRANSLATION_PROVIDER, LIBRETRANSLATE_URL, LIBRETRANSLATE_API_KEY, TRANSLATION_TIMEOUT."""
    provider = env.get("TRANSLATION_PROVIDER", "").strip().lower()
    if provider in ("", "none"):
        return "", "", "", 10.0
    if provider not in TRANSLATION_PROVIDERS:
        raise SettingsError(f"TRANSLATION_PROVIDER must be one of {', '.join(TRANSLATION_PROVIDERS)} "
                            f"or empty, not {provider!r}")
    url = env.get("LIBRETRANSLATE_URL", "").strip()
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
        raise SettingsError("LIBRETRANSLATE_URL must be the server's http(s) address, like "
                            "http://libretranslate:5000, when TRANSLATION_PROVIDER=libretranslate")
    if parsed.username or parsed.password:
        raise SettingsError("LIBRETRANSLATE_URL must not carry credentials: use LIBRETRANSLATE_API_KEY")
    try:
        timeout = float(env.get("TRANSLATION_TIMEOUT", "10"))
    except ValueError:
        raise SettingsError("TRANSLATION_TIMEOUT must be a number of seconds") from None
    if not 0 < timeout <= 120:
        raise SettingsError("TRANSLATION_TIMEOUT must be more than 0 and at most 120 seconds")
    return provider, url.rstrip("/"), env.get("LIBRETRANSLATE_API_KEY", "").strip(), timeout


def _count(env: dict[str, str], name: str, default: int) -> int:
    """A positive whole number from the environment, or a start-up error that names it."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1 or int(raw) > 1_000:
        raise SettingsError(f"{name} must be a whole number from 1 to 1000, not {raw!r}")
    return int(raw)


def _networks(value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """TRUSTED_PROXIES: comma-separated addresses or CIDR networks."""
    networks = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"TRUSTED_PROXIES: {part!r} is not an IP address or network") from None
    return tuple(networks)


def _storage_url(value: str) -> str:
    """"" (the directory) or s3://<bucket>[/<prefix>]; anything else is a start-up error naming it."""
    value = value.strip()
    if value and (not value.startswith("s3://") or not value.removeprefix("s3://").split("/", 1)[0]):
        raise SettingsError(f"STORAGE_URL must be s3://<bucket>/<prefix> or empty, not {value!r}")
    return value


def _invitation_url(env: dict[str, str]) -> str:
    url = env.get("INVITATION_URL", "").strip() or Settings.invitation_url
    if "{token}" not in url:
        raise SettingsError("INVITATION_URL must contain {token}")
    return url


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = ""
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    login_attempts: int = 10
    login_window: int = 300
    invitation_ttl: int = 7 * 24 * 3600
    # Where the front end accepts an invitation; {token} is replaced by the invitation's token.
    invitation_url: str = "http://localhost:8000/accept-invitation?token={token}"
    # Proxies (load balancers) whose X-Forwarded-For is believed; empty: the socket's peer is the
    # client. See docs/operators.md.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 10_000_000  # a multipart GraphQL request (file uploads), whole
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    max_cost: int = 5_000
    max_page_size: int = 100
    default_page_size: int = 20
    # PostgreSQL connections per process. A worker process opens at least worker_jobs +
    # worker_cron_jobs + 1, so every job it runs at once can hold one (scripts/cli.py).
    db_pool_size: int = 10
    # A worker runs at most worker_jobs jobs (event handlers, imports, exports) at once, and the cron
    # scans on a queue of their own with worker_cron_jobs slots: a backlog of handlers never delays
    # the SLA scan or the outbox relay (workers/embedded.py).
    worker_jobs: int = 6
    worker_cron_jobs: int = 2
    policy_cache_tenants: int = 2_000
    policy_cache_ttl: float = 300.0
    cors_origins: tuple[str, ...] = ()
    demo_password: str = "demo"  # noqa: S105 - the documented demo login, embedded mode only
    var_dir: Path = field(default_factory=lambda: Path("var"))
    # Where stored files (attachments) live (core.storage); "" is <var_dir>/files. Every API and
    # worker process must see the same directory.
    storage_dir: str = ""
    # Or an S3-compatible bucket: "s3://bucket/prefix" (core.storage.s3), S3_ENDPOINT_URL for one
    # that is not AWS; credentials from botocore's chain (AWS_ACCESS_KEY_ID...), never here.
    storage_url: str = ""
    s3_endpoint_url: str = ""
    # PII encryption (core.crypto): the first key encrypts, the others only decrypt. Never in repr.
    encryption_keys: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    index_key: bytes = field(default=b"", repr=False)
    # Machine translation (core.translation): "" (none) or "libretranslate". The key never in repr.
    translation_provider: str = ""
    libretranslate_url: str = ""
    libretranslate_api_key: str = field(default="", repr=False)
    translation_timeout: float = 10.0

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def embedded(self) -> bool:
        """No Redis configured: one process, arq and rate limits on an in-process fakeredis."""
        return self.redis_url is None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("SELLERCARE_ENV", "development")
        if mode not in {"development", "production", "test"}:
            raise SettingsError(f"SELLERCARE_ENV must be development, production or test, not {mode!r}")
        var_dir = Path(env.get("SELLERCARE_VAR_DIR", "var"))
        secret = env.get("SECRET_KEY", "")
        if not secret:
            if mode == "production":
                raise SettingsError("SECRET_KEY is required when SELLERCARE_ENV=production")
            secret = _dev_secret(var_dir)
        if mode == "production" and len(secret) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters in production")
        database_url = env.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        if mode == "production" and "DATABASE_URL" not in env:
            # The embedded default is not a production database: say which one to use.
            raise SettingsError("DATABASE_URL is required when SELLERCARE_ENV=production")
        redis_url = env.get("REDIS_URL") or None
        if mode == "production" and redis_url is None:
            raise SettingsError("REDIS_URL is required when SELLERCARE_ENV=production")
        # In production both are required; core.crypto.configure() (run by every process at start,
        # Runtime.start) refuses to go on without them. Elsewhere they default to keys derived from
        # SECRET_KEY, so several local processes agree.
        if env.get("ENCRYPTION_KEYS", "").strip():
            encryption_keys = parse_encryption_keys(env["ENCRYPTION_KEYS"])
        elif mode == "production":
            encryption_keys = ()
        else:
            encryption_keys = ((DEV_KEY_ID, _derive(secret, b"encryption-key:" + DEV_KEY_ID.encode())),)
        if env.get("INDEX_KEY", "").strip():
            index_key = _decode_key(env["INDEX_KEY"], "INDEX_KEY")
        elif mode == "production":
            index_key = b""
        else:
            index_key = _derive(secret, b"index-key")
        provider, url, api_key, timeout = _translation(env)
        return cls(
            env=mode,
            database_url=database_url,
            redis_url=redis_url,
            secret_key=secret,
            access_token_ttl=int(env.get("ACCESS_TOKEN_TTL", 900)),
            refresh_token_ttl=int(env.get("REFRESH_TOKEN_TTL", 30 * 24 * 3600)),
            login_attempts=int(env.get("LOGIN_ATTEMPTS", 10)),
            invitation_ttl=int(env.get("INVITATION_TTL", 7 * 24 * 3600)),
            invitation_url=_invitation_url(env),
            trusted_proxies=_networks(env.get("TRUSTED_PROXIES", "")),
            max_upload_bytes=int(env.get("MAX_UPLOAD_BYTES", 10_000_000)),
            db_pool_size=_count(env, "DB_POOL_SIZE", 10),
            worker_jobs=_count(env, "WORKER_JOBS", 6),
            worker_cron_jobs=_count(env, "WORKER_CRON_JOBS", 2),
            cors_origins=tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()),
            demo_password=env.get("SELLERCARE_DEMO_PASSWORD", "demo"),
            var_dir=var_dir,
            storage_dir=env.get("STORAGE_DIR", ""),
            storage_url=_storage_url(env.get("STORAGE_URL", "")),
            s3_endpoint_url=env.get("S3_ENDPOINT_URL", ""),
            encryption_keys=encryption_keys,
            index_key=index_key,
            translation_provider=provider,
            libretranslate_url=url,
            libretranslate_api_key=api_key,
            translation_timeout=timeout,
        )
