"""Per-request loaders: one query for the deliveries of a whole page of ticket messages, one for
the outbox events that send them (their attempts)."""

from __future__ import annotations

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import loader_by_key
from core.models import OutboxEvent
from core.tenancy import scoped
from modules.channels.models import Delivery
from modules.channels.services.outbound import deliver_event_id


async def _deliveries(tenant_id: int, message_ids: list[int]) -> dict[int, Delivery]:
    return {row.message_id: row for row in await scoped(Delivery, tenant_id).filter(message_id__in=message_ids)}


def deliveries(info: Info) -> DataLoader[int, Delivery | None]:
    return loader_by_key(info, "channels.delivery_by_message", _deliveries)


async def _deliver_events(tenant_id: int, delivery_ids: list[int]) -> dict[int, OutboxEvent]:
    ids = {deliver_event_id(i): i for i in delivery_ids}
    rows = await OutboxEvent.filter(tenant_id=tenant_id, id__in=list(ids))
    return {ids[row.id]: row for row in rows}


def deliver_events(info: Info) -> DataLoader[int, OutboxEvent | None]:
    """By delivery id: the outbox event sending it (none for deliveries queued before it had one)."""
    return loader_by_key(info, "channels.deliver_event", _deliver_events)
