"""What a connector module gives the engine, and where the engine finds it.

A connector (the `shopify` module, a partner's) registers one `Connector` from its module's
`startup` hook, in every process: the engine never imports a connector, it looks it up by the sales
channel's platform. A connector turns a platform's data into `Record`s (crm import cells plus the
platform's `updated_at`), reads pages for runs and checks and reads webhooks; the engine does the
rest (jobs, ordering, the stale-record rule, watermarks, counts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

RESOURCE_ORDER = ("customers", "orders")  # applied in this order: an order needs its customer


@dataclass(frozen=True)
class Record:
    resource: str  # "customers" | "orders"
    external_id: str  # the platform's id, unique per channel
    updated_at: datetime  # the platform's, UTC
    cells: Mapping[str, Any]  # crm's import columns (modules/crm/services/upserts.py)


@dataclass(frozen=True)
class Session:
    """What a connector needs for one run: never logged (credentials)."""

    tenant_id: int
    channel_id: int
    credentials: Mapping[str, Any]
    resource: str
    since: datetime | None  # None: everything (backfill)
    redis: Redis


@dataclass(frozen=True)
class Webhook:
    """A webhook as the connector reads its headers, before the body is trusted."""

    event_id: str
    topic: str


class Connector(Protocol):
    platform: str  # crm's SalesChannel.platform
    resources: tuple[str, ...]  # what runs may sync

    def pages(self, session: Session) -> AsyncIterator[list[Record]]:
        """The records updated after `session.since`, oldest update first, one page at a time."""
        ...

    def signature_header(self) -> str: ...

    def verify(self, raw: bytes, signature: str, credentials: Mapping[str, Any]) -> bool:
        """Whether `signature` signs exactly these bytes with the channel's secret (constant time)."""
        ...

    def webhook(self, headers: Mapping[str, str]) -> Webhook | None:
        """Its event id and topic; None when the headers lack them."""
        ...

    def records(self, topic: str, payload: Any) -> list[Record]:
        """The records a webhook carries ([] for a topic not synced); raises ValueError when malformed."""
        ...


_connectors: dict[str, Connector] = {}


def register(connector: Connector) -> None:
    _connectors[connector.platform] = connector


def connector(platform: str) -> Connector | None:
    return _connectors.get(platform)
