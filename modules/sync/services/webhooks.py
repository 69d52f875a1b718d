"""Webhooks: the channel a public address names, the event stored once, then applied.

Processed events are purged after KEEP (`sync.purge_events`, hourly). The caller (modules.sync.http)
has verified the signature over the raw bytes before calling
`store`: nothing unsigned is ever stored. The platform's event id is unique per channel, so a
delivery retried is acknowledged as a duplicate and not applied again; applying goes through the
stale-record rule, so an older event arriving after a newer one changes nothing either.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.tenancy import scoped
from modules.crm.models import SalesChannel
from modules.sync.models import WebhookEndpoint, WebhookEvent
from modules.sync.services import connectors
from modules.sync.services.apply import Counts, apply

log = logging.getLogger(__name__)
KEEP = timedelta(days=7)  # a processed event (its payload holds contact data), then purged


@dataclass(frozen=True)
class Target:
    endpoint: WebhookEndpoint
    channel: SalesChannel


async def target(platform: str, public_id: str) -> Target | None:
    """The channel of this address and platform; None for a malformed or unknown address (the one
    look-up not scoped to a tenant: the URL names the channel, the signature proves the sender)."""
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    endpoint = await WebhookEndpoint.filter(public_id=key).first()
    if endpoint is None:
        return None
    channel = await scoped(SalesChannel, endpoint.tenant_id).filter(id=endpoint.channel_id).first()
    if channel is None or channel.platform != platform:
        return None
    return Target(endpoint, channel)


async def endpoint_for(actor: Principal, channel_id: int) -> WebhookEndpoint:
    """The channel's webhook address, created (and audited) the first time it is asked for."""
    tid = actor.tenant_id
    found = await scoped(WebhookEndpoint, tid).filter(channel_id=channel_id).first()
    if found is not None:
        return found
    try:
        async with in_transaction():
            endpoint = await WebhookEndpoint.create(tenant_id=tid, channel_id=channel_id, public_id=uuid.uuid4())
            await audit.record(actor, tid, "sync.webhooks.enable", "SalesChannel", channel_id, None,
                               {"endpoint": endpoint.id})
    except IntegrityError:  # asked twice at once
        return await scoped(WebhookEndpoint, tid).get(channel_id=channel_id)
    return endpoint


async def store(channel: SalesChannel, hook: connectors.Webhook, raw: bytes) -> tuple[WebhookEvent, bool]:
    """The event and whether it is new; a retried delivery finds the one stored (its id is taken)."""
    event_id = hook.event_id[:128]
    try:
        return await WebhookEvent.create(tenant_id=channel.tenant_id, channel_id=channel.id, event_id=event_id,
                                         topic=hook.topic[:64], payload=raw.decode("utf-8", "replace")), True
    except IntegrityError:
        return await scoped(WebhookEvent, channel.tenant_id).get(channel_id=channel.id, event_id=event_id), False


async def process(connector: connectors.Connector, event: WebhookEvent) -> Counts:
    """Apply a stored event; it ends processed, or failed with a code (kept for a look, never lost)."""
    try:
        records = connector.records(event.topic, json.loads(event.payload))
    except ValueError:
        event.status, event.error = "failed", "MALFORMED"
        await event.save(update_fields=["status", "error"])
        log.warning("webhook event %s of channel %s is malformed", event.id, event.channel_id)
        return {}
    try:
        counts = await apply(event.tenant_id, event.channel_id, records)
    except Exception:
        # Kept as failed: the platform's retry of this event applies it again (see modules.sync.http).
        event.status, event.error = "failed", "PROCESS_FAILED"
        await event.save(update_fields=["status", "error"])
        log.exception("webhook event %s of channel %s could not be applied", event.id, event.channel_id)
        raise
    event.status, event.error = "processed", ""
    await event.save(update_fields=["status", "error"])
    return counts


async def purge(now: datetime | None = None) -> int:
    """Delete processed events older than KEEP; failed ones stay for a look until they succeed."""
    cutoff = (now or datetime.now(UTC)) - KEEP
    return await WebhookEvent.filter(status="processed", received_at__lt=cutoff).delete()
