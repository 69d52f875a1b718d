"""The Shopify connector as the sync engine sees it (modules.sync.services.connectors.Connector)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from modules.shopify import mapping, queries, signature
from modules.shopify.client import CAPACITY, RESTORE_RATE, TIMEOUT, ShopifyClient
from modules.shopify.shop import graphql_url
from modules.sync.services.connectors import Record, Session, Webhook
from modules.sync.services.errors import SyncError
from modules.sync.services.limiter import TokenBucket

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/fulfilled", "orders/cancelled")
CUSTOMER_TOPICS = ("customers/create", "customers/update")


def _secret(credentials: Mapping[str, Any], name: str) -> str:
    value = credentials.get(name)
    return value if isinstance(value, str) else ""


class ShopifyConnector:
    platform: str = "shopify"
    resources: tuple[str, ...] = ("orders", "customers")

    async def pages(self, session: Session) -> AsyncIterator[list[Record]]:
        url = graphql_url(session.credentials)
        token = _secret(session.credentials, "access_token")
        if not token:
            raise SyncError("NOT_CONFIGURED")
        bucket = TokenBucket(session.redis, self.platform, session.channel_id, "graphql", CAPACITY, RESTORE_RATE)
        field, query = queries.BY_RESOURCE[session.resource]
        variables: dict[str, Any] = {"first": queries.PAGE_SIZE, "after": None,
                                     "query": queries.updated_after(session.since)}
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as http:
            client = ShopifyClient(url, token, bucket, http)
            while True:
                found = (await client.query(query, variables)).get(field) or {}
                try:
                    page = [r for node in found.get("nodes") or [] for r in (
                        mapping.order_records(node) if field == "orders" else [mapping.customer_record(node)])]
                except (ValueError, TypeError, AttributeError, KeyError):  # not the shape Shopify answers
                    raise SyncError("PLATFORM_ERROR") from None
                yield page
                info = found.get("pageInfo") or {}
                if not info.get("hasNextPage") or not info.get("endCursor"):
                    return
                variables["after"] = info["endCursor"]

    def signature_header(self) -> str:
        return signature.HEADER

    def verify(self, raw: bytes, sig: str, credentials: Mapping[str, Any]) -> bool:
        return signature.valid(raw, sig, _secret(credentials, "webhook_secret"))

    def webhook(self, headers: Mapping[str, str]) -> Webhook | None:
        event_id, topic = headers.get("x-shopify-event-id", ""), headers.get("x-shopify-topic", "")
        return Webhook(event_id, topic) if event_id and topic else None

    def records(self, topic: str, payload: Any) -> list[Record]:
        try:
            if topic in ORDER_TOPICS:
                return mapping.order_records(mapping.node_of_webhook(payload))
            if topic in CUSTOMER_TOPICS:
                return [mapping.customer_record({"id": payload["id"], "email": payload.get("email"),
                                                 "firstName": payload.get("first_name"),
                                                 "lastName": payload.get("last_name"),
                                                 "updatedAt": payload.get("updated_at")})]
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError("malformed Shopify webhook") from exc
        return []


CONNECTOR = ShopifyConnector()
