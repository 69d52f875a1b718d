"""enableSyncWebhooks: the address a channel's platform posts its webhooks to."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import SalesChannelType
from modules.crm.services import get_channel
from modules.sync.services import webhooks


@strawberry.input
class EnableSyncWebhooksInput:
    channel_id: strawberry.ID


@strawberry.type
class EnableSyncWebhooksPayload:
    path: str | None = strawberry.field(default=None, description=(
        "Where the platform posts this channel's webhooks, under the API's address (the same every time)."))
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SyncWebhookMutations:
    @strawberry.mutation(permission_classes=[Requires("sync.run", "write")],
                         description="The webhook address of a sales channel, created the first time.")
    async def enable_sync_webhooks(self, info: Info, input: EnableSyncWebhooksInput  # noqa: A002
                                   ) -> EnableSyncWebhooksPayload:
        ctx = info.context

        async def enable() -> str:
            actor = ctx.require_principal()
            channel = await get_channel(actor.tenant_id, decode_id(input.channel_id, SalesChannelType, "channelId"))
            endpoint = await webhooks.endpoint_for(actor, channel.id)
            return f"/sync/webhooks/{channel.platform}/{endpoint.public_id}"
        path, errors = await attempt(info, enable())
        return EnableSyncWebhooksPayload(path=path, errors=errors)
