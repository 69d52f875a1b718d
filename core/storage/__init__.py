"""Files the product keeps (attachments of incoming messages), behind one small interface, so a
deployment chooses where they live without any module knowing: a local directory by default
(embedded, or one machine), an S3-compatible store when several machines serve the API.

`configure(settings)` runs once per process (Runtime.start); `store()` is the process's store:
core.storage.local (a directory) or core.storage.s3 (a bucket).
Keys are `<tenant id>/<random hex>`, chosen here (`new_key`), never by a caller's input, so no
name a user sends can reach another tenant's file or a path outside the store. A file is read
back only through a signed, expiring link (core.storage.links) or by the code that stored it.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Protocol

from core.settings import Settings

_KEY = re.compile(r"[0-9]{1,19}/[0-9a-f]{32}")


class Store(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Keep `data` under `key`, whole or not at all (a reader never sees half a file)."""

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None when there are none."""

    async def delete(self, key: str) -> None:
        """Forget `key` (nothing happens when it does not exist)."""


def new_key(tenant_id: int) -> str:
    return f"{int(tenant_id)}/{uuid.uuid4().hex}"


def valid_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def tenant_of(key: str) -> int:
    """The tenant a (valid) key belongs to."""
    return int(key.split("/", 1)[0])


_store: Store | None = None


def configure(settings: Settings) -> Store:
    """The store the settings name, made the process's: STORAGE_URL=s3://bucket/prefix (with
    S3_ENDPOINT_URL for a store that is not AWS), else the directory STORAGE_DIR (default
    <var dir>/files)."""
    global _store
    from core.storage.links import configure as configure_links

    configure_links(settings)
    if settings.storage_url.startswith("s3://"):
        from core.storage.s3 import S3Store

        bucket, _, prefix = settings.storage_url.removeprefix("s3://").partition("/")
        _store = S3Store(bucket, prefix, settings.s3_endpoint_url or None)
    else:
        from core.storage.local import LocalStore

        _store = LocalStore(Path(settings.storage_dir) if settings.storage_dir else Path(settings.var_dir) / "files")
    return _store


async def close() -> None:
    """Release what the store holds open (an S3 client's connections); Runtime.stop calls it."""
    closing = getattr(_store, "close", None)
    if closing is not None:
        await closing()


def store() -> Store:
    if _store is None:
        raise RuntimeError("core.storage.configure(settings) was not called (Runtime.start does)")
    return _store
