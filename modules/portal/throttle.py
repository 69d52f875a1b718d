"""The portal's rate limits, counted in the database like failed logins (core.auth.ratelimit), so
every API process shares them and a Redis flush resets none.

- every request to the portal, per client address (core.auth.client_address honours
  TRUSTED_PROXIES): past the limit, HTTP 429 with Retry-After;
- `startReturn`, per client address and per order number of the shop, every attempt counting:
  someone guessing e-mail addresses for one order, or order numbers from one address, is stopped
  after a few tries, while a buyer with the right pair needs one.
"""

from __future__ import annotations

import hashlib

from core.auth import ratelimit

PER_ADDRESS, WINDOW = 300, 600  # requests per client address per 10 minutes
START_PER_ADDRESS, START_PER_ORDER, START_WINDOW = 10, 5, 600  # startReturn attempts per 10 minutes


async def wait(key: str, limit: int, window: int) -> int:
    """Count one attempt under `key`; the seconds to wait when it went past `limit`, else 0."""
    if await ratelimit.hit(key[:120], window) <= limit:
        return 0
    return max(1, await ratelimit.seconds_left(key[:120]))


async def request_wait(address: str) -> int:
    return await wait(f"portal:ip:{address}", PER_ADDRESS, WINDOW)


async def start_wait(shop_id: int, address: str, order_number: str) -> int:
    """Both startReturn counters take the attempt; the longer wait of the two."""
    number = hashlib.sha256(order_number.strip().lstrip("#").encode()).hexdigest()
    by_address = await wait(f"portal:start:ip:{address}", START_PER_ADDRESS, START_WINDOW)
    by_order = await wait(f"portal:start:order:{shop_id}:{number}", START_PER_ORDER, START_WINDOW)
    return max(by_address, by_order)
