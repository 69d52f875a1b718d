"""A thin async client for the Admin GraphQL API that obeys Shopify's cost-based leaky bucket.

Every query first takes its cost from the shop's bucket (modules.sync.services.limiter, in Redis,
shared by every worker); each answer's `extensions.cost.throttleStatus` sets the bucket to what
Shopify reports. A THROTTLED answer (HTTP 200 with `errors[].extensions.code`, or a 429) waits
what the bucket needs to hold the query's cost, then asks again; a plain 429 waits its Retry-After.
A 5xx, a timeout or a body that is no JSON (an HTML error page) is retried after a backoff, as many
times as BACKOFF has pauses; 401/403 fails the run.
The access token travels only in the `X-Shopify-Access-Token` header and is never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from modules.sync.services.errors import SyncError
from modules.sync.services.limiter import TokenBucket

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
BACKOFF = (0.5, 1.0, 2.0, 4.0)  # seconds before each retry of a failed call
MAX_THROTTLED = 50  # throttled answers in a row before the run gives up
DEFAULT_COST = 50.0  # a query's cost before Shopify told us
CAPACITY, RESTORE_RATE = 2000.0, 100.0  # until the first throttleStatus says otherwise


def _retry_after(response: httpx.Response) -> float:
    """Retry-After in seconds (at most a minute), or a second when it says nothing usable."""
    try:
        return min(60.0, max(0.0, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


class ShopifyClient:
    def __init__(self, url: str, token: str, bucket: TokenBucket, http: httpx.AsyncClient) -> None:
        self.url, self.token, self.bucket, self.http = url, token, bucket, http
        self.cost = DEFAULT_COST

    async def _post(self, query: str, variables: Mapping[str, Any]) -> httpx.Response | None:
        """The answer, or None after a network failure (retried like a 5xx)."""
        try:
            return await self.http.post(self.url, json={"query": query, "variables": dict(variables)},
                                        headers={"X-Shopify-Access-Token": self.token})
        except httpx.HTTPError as exc:
            log.warning("shopify request failed: %s", type(exc).__name__)
            return None

    async def _observe(self, body: Mapping[str, Any]) -> dict[str, Any]:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if cost.get("requestedQueryCost"):
            self.cost = float(cost["requestedQueryCost"])
        if "currentlyAvailable" in status:
            await self.bucket.observe(float(status["currentlyAvailable"]), float(status.get("maximumAvailable") or 0),
                                      float(status.get("restoreRate") or 0))
        return dict(status)

    async def query(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The `data` of a query, once Shopify answered it."""
        failures = throttled = 0
        while True:
            await self.bucket.take(self.cost)
            response = await self._post(query, variables)
            if response is not None and response.status_code in (401, 403):
                raise SyncError("UNAUTHORIZED")
            body: Any = None
            if response is not None and response.status_code in (200, 429):
                try:
                    body = response.json()
                except ValueError:
                    body = None
            if isinstance(body, dict):
                status = await self._observe(body)
                errors = body.get("errors") or []
                if response is not None and (response.status_code == 429 or any(
                        (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors if isinstance(e, dict))):
                    throttled += 1
                    if throttled > MAX_THROTTLED:
                        raise SyncError("PLATFORM_UNAVAILABLE")
                    rate = float(status.get("restoreRate") or self.bucket.rate)
                    need = max(0.0, self.cost - float(status.get("currentlyAvailable", 0.0)))
                    await asyncio.sleep(need / rate if rate else 1.0)  # what the bucket needs to hold the query
                    continue
                if errors or not isinstance(body.get("data"), dict):
                    log.warning("shopify query refused: %s", [e.get("extensions", {}).get("code")
                                                              for e in errors if isinstance(e, dict)])
                    raise SyncError("PLATFORM_ERROR")
                return dict(body["data"])
            if response is not None and response.status_code == 429 and throttled < MAX_THROTTLED:
                throttled += 1  # a plain 429 (from whatever sits in front of the API): its Retry-After
                await asyncio.sleep(_retry_after(response))
                continue
            failures += 1
            if failures > len(BACKOFF):
                raise SyncError("PLATFORM_UNAVAILABLE")
            log.warning("shopify answered %s: retry %s in %ss", response.status_code if response else "nothing",
                        failures, BACKOFF[failures - 1])
            await asyncio.sleep(BACKOFF[failures - 1])
