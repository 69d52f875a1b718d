"""channels (the tenant's accounts, by name) and channelInboundMessages (what they received)."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core.graphql.node import decode_query_id
from core.graphql.pagination import Connection, Ordering, page_size, paginate
from core.graphql.permissions import Requires
from core.tenancy import scoped
from modules.channels import models
from modules.channels.graphql.types import ChannelAccountType, InboundMessageType, InboundStatus

READ: list[type[BasePermission]] = [Requires("channels.account", "read")]


def _size(info: Info, first: int | None) -> int:
    s = info.context.rt.settings
    return page_size(first, s.default_page_size, s.max_page_size, info.context.locale)


@strawberry.type
class ChannelQuery:
    @strawberry.field(permission_classes=READ, description="The tenant's channel accounts, by name.")
    async def channels(self, info: Info, first: int | None = None, after: str | None = None
                       ) -> Connection[ChannelAccountType]:
        ctx = info.context
        return await paginate(scoped(models.ChannelAccount, ctx.tenant_id), first=_size(info, first), after=after,
                              ordering=Ordering("name"), to_node=ChannelAccountType.from_row, locale=ctx.locale)

    @strawberry.field(permission_classes=READ, description=(
        "What a channel received, newest first; status FAILED lists those it could not parse or process."))
    async def channel_inbound_messages(self, info: Info, channel_id: strawberry.ID,
                                       status: InboundStatus | None = None, first: int | None = None,
                                       after: str | None = None) -> Connection[InboundMessageType]:
        ctx = info.context
        rows = scoped(models.InboundMessage, ctx.tenant_id).filter(
            account_id=decode_query_id(info, channel_id, ChannelAccountType, "channelId"))
        if status is not None:
            rows = rows.filter(status=status.value)
        return await paginate(rows, first=_size(info, first), after=after, ordering=Ordering("id", descending=True),
                              to_node=InboundMessageType.from_row, locale=ctx.locale)
