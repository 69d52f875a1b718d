"""The production option: an S3-compatible bucket (AWS S3, MinIO, Ceph, Cloudflare R2...), shared
by every API and worker process without a shared volume. STORAGE_URL=s3://<bucket>/<prefix>;
S3_ENDPOINT_URL for a store that is not AWS; credentials and region from botocore's usual chain
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, an instance role...), never from
the database. An object is written whole by S3 itself: a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiobotocore.session import get_session
from botocore.exceptions import ClientError

MISSING = ("NoSuchKey", "404", "NotFound")


class S3Store:
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket, self.prefix, self.endpoint_url = bucket, prefix.strip("/"), endpoint_url or None
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._lock = asyncio.Lock()

    def _key(self, key: str) -> str:
        from core.storage import valid_key

        if not valid_key(key):
            raise ValueError("not a storage key")
        return f"{self.prefix}/{key}" if self.prefix else key

    async def client(self) -> Any:
        """One client per process, opened at first use (it holds a connection pool)."""
        async with self._lock:
            if self._client is None:
                self._client = await self._stack.enter_async_context(
                    get_session().create_client("s3", endpoint_url=self.endpoint_url))
            return self._client

    async def put(self, key: str, data: bytes) -> None:
        await (await self.client()).put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    async def get(self, key: str) -> bytes | None:
        try:
            answer = await (await self.client()).get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        async with answer["Body"] as body:
            return bytes(await body.read())

    async def delete(self, key: str) -> None:
        await (await self.client()).delete_object(Bucket=self.bucket, Key=self._key(key))

    async def close(self) -> None:
        async with self._lock:
            await self._stack.aclose()
            self._client = None
