"""sendTicketTemplate: a channel's pre-approved template as a reply (WhatsApp after its 24-hour
window, when addTicketMessage refuses a typed reply with WHATSAPP_WINDOW_CLOSED)."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales.graphql.tickets.mutations.messages import TicketMessagePayload
from modules.aftersales.graphql.types import TicketMessageType, TicketType
from modules.channels.services.templates import send_template

WRITE: list[type[BasePermission]] = [Requires("aftersales.ticket", "write")]


@strawberry.input
class SendTicketTemplateInput:
    ticket_id: strawberry.ID
    name: str = strawberry.field(description="The template's name, as Meta approved it (order_update).")
    language: str = strawberry.field(description="The language it was approved in (en, en_US, de).")
    parameters: list[str] = strawberry.field(default_factory=list,
                                             description="The values of its body's {{1}}, {{2}}... in order.")


@strawberry.type
class TemplateMutations:
    @strawberry.mutation(permission_classes=WRITE, description="Send an approved template on the ticket's channel "
                         "(WhatsApp); delivered like a reply, with its delivery state on the message.")
    async def send_ticket_template(self, info: Info, input: SendTicketTemplateInput) -> TicketMessagePayload:  # noqa: A002
        async def call() -> TicketMessagePayload:
            message, ticket = await send_template(
                info.context.require_principal(), decode_id(input.ticket_id, TicketType, "ticketId"),
                input.name, input.language, input.parameters)
            return TicketMessagePayload(message=TicketMessageType.from_row(message), ticket=TicketType.from_row(ticket))
        payload, errors = await attempt(info, call())
        return payload or TicketMessagePayload(errors=errors)
