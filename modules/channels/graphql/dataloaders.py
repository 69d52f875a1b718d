"""Per-request loaders: one query for the deliveries of a whole page of ticket messages."""

from __future__ import annotations

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import loader_by_key
from core.tenancy import scoped
from modules.channels.models import Delivery


async def _deliveries(tenant_id: int, message_ids: list[int]) -> dict[int, Delivery]:
    return {row.message_id: row for row in await scoped(Delivery, tenant_id).filter(message_id__in=message_ids)}


def deliveries(info: Info) -> DataLoader[int, Delivery | None]:
    return loader_by_key(info, "channels.delivery_by_message", _deliveries)
