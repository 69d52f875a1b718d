"""The channels part of the schema: accounts, their inbound messages, and each reply's delivery
state on aftersales' TicketMessage (added through `extends`: aftersales does not import us)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.registry import GraphQLContribution
from modules.aftersales.graphql.types import TicketMessageType
from modules.channels.graphql import dataloaders
from modules.channels.graphql.mutations.accounts import ChannelMutations
from modules.channels.graphql.mutations.templates import TemplateMutations
from modules.channels.graphql.queries import ChannelQuery
from modules.channels.graphql.types import ChannelAccountType, DeliveryType


@strawberry.type
class TicketMessageDelivery:
    @strawberry.field(description="How a reply went out over the ticket's channel; null for other messages and "
                                  "until the channel has queued it.")
    async def delivery(self, info: Info) -> DeliveryType | None:
        message: TicketMessageType = self  # type: ignore[assignment]
        if message.kind != "outbound":
            return None
        row = await dataloaders.deliveries(info).load(int(message.id))
        return DeliveryType.from_row(row) if row else None


contribution = GraphQLContribution(
    queries=[ChannelQuery],
    mutations=[ChannelMutations, TemplateMutations],
    types=[ChannelAccountType, TicketMessageType],
    extends={"TicketMessage": [TicketMessageDelivery]},
)
