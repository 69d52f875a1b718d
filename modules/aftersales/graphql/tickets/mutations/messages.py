"""addTicketMessage: the customer's message, an agent's reply or an internal note."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from modules.aftersales.graphql.tickets.mutations.lifecycle import WRITE, AttachmentInput, to_attachments
from modules.aftersales.graphql.types import TicketMessageType, TicketType
from modules.aftersales.services.tickets.messages import add_message


@strawberry.input
class AddTicketMessageInput:
    ticket_id: strawberry.ID
    kind: str = strawberry.field(description="inbound (from the customer), outbound (a reply) or note (internal).")
    body: str
    attachments: list[AttachmentInput] | None = None
    language: str | None = strawberry.field(
        default=None, description="The language the body is written in (BCP 47: de, de-AT, zh-Hans). Without it, "
        "a reply's language is detected (the tenant's when the text is too short to tell) and the customer's "
        "message is taken to be in the ticket's language. A reply is machine-translated into the ticket's "
        "language only when they differ.")


@strawberry.type
class TicketMessagePayload:
    message: TicketMessageType | None = None
    ticket: TicketType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TicketMessageMutations:
    @strawberry.mutation(permission_classes=WRITE, description="A reply stops the first-response clock; the "
                         "customer's message brings a ticket waiting on them back to open.")
    async def add_ticket_message(self, info: Info, input: AddTicketMessageInput) -> TicketMessagePayload:  # noqa: A002
        async def call() -> TicketMessagePayload:
            message, ticket = await add_message(
                info.context.require_principal(), decode_id(input.ticket_id, TicketType, "ticketId"), input.kind,
                input.body, to_attachments(input.attachments), language=input.language)
            return TicketMessagePayload(message=TicketMessageType.from_row(message), ticket=TicketType.from_row(ticket))
        payload, errors = await attempt(info, call())
        return payload or TicketMessagePayload(errors=errors)
