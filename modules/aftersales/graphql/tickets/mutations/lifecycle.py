"""createTicket, updateTicket, changeTicketStatus, reopenTicket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core.errors import UserError, UserFacingError, UserFacingErrors
from core.graphql.mutations import attempt
from core.graphql.node import ScopedNode, decode_id
from core.graphql.permissions import Requires
from core.i18n import N_
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.models import Ticket
from modules.aftersales.services.tickets import lifecycle as tickets
from modules.aftersales.services.tickets.lifecycle import UNSET, Attachment, NewTicket, TicketChanges
from modules.crm.graphql.types import CustomerType, OrderType
from modules.team.graphql.types import TeamType, UserType

WRITE: list[type[BasePermission]] = [Requires("aftersales.ticket", "write")]


@strawberry.input(description="An attachment's metadata; the file stays in the mail or storage system.")
class AttachmentInput:
    name: str
    content_type: str
    size: int
    url: str


def to_attachments(items: Sequence[AttachmentInput] | None) -> list[Attachment]:
    return [Attachment(a.name, a.content_type, a.size, a.url) for a in items or []]


def optional_id(value: strawberry.ID | None, expected: type[ScopedNode], field: str) -> int | None:
    return decode_id(value, expected, field) if value is not None else None


def decode_many(values: Sequence[strawberry.ID], expected: type[ScopedNode] | None, field: str) -> list[int]:
    """Every id of a list, each bad one reported at its index; `expected` None takes plain ids."""
    ids: list[int] = []
    errors: list[UserFacingError] = []
    for i, value in enumerate(values):
        try:
            if expected is not None:
                ids.append(decode_id(value, expected, field))
            elif str(value).isdigit():
                ids.append(int(str(value)))
            else:
                raise UserFacingError("INVALID_ID", N_("This is not an ID."), domain="aftersales")
        except UserFacingError as exc:
            exc.field = [field, str(i)]
            errors.append(exc)
    if errors:
        raise UserFacingErrors(errors)
    return ids


@strawberry.input
class CreateTicketInput:
    type: str = strawberry.field(description="inquiry, complaint, return, exchange, refund, repair or shipping.")
    channel: str = strawberry.field(description="email, chat, platform, whatsapp, phone or web_form.")
    subject: str
    body: str = strawberry.field(description="The customer's first message.")
    attachments: list[AttachmentInput] | None = None
    customer_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    order_line_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Lines of the order the ticket is about (their database ids).")
    language: str | None = strawberry.field(default=None, description="BCP 47; detected from the text when omitted.")
    team_id: strawberry.ID | None = None
    assignee_id: strawberry.ID | None = None
    priority: str | None = strawberry.field(default=None, description="low, normal, high or urgent; "
                                                                      "the priority rules decide when omitted.")
    tags: list[str] | None = None


@strawberry.input(description="Omitted fields are left as they are; null clears a link or the assignee.")
class UpdateTicketInput:
    ticket_id: strawberry.ID
    assignee_id: strawberry.ID | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    priority: str | None = strawberry.UNSET
    type: str | None = strawberry.UNSET
    subject: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.field(default=strawberry.UNSET, description="Replaces every tag.")
    customer_id: strawberry.ID | None = strawberry.UNSET
    order_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class ChangeTicketStatusInput:
    ticket_id: strawberry.ID
    status: str = strawberry.field(description="new, open, pending_customer, on_hold, resolved or closed.")


@strawberry.input
class ReopenTicketInput:
    ticket_id: strawberry.ID


@strawberry.type
class TicketPayload:
    ticket: TicketType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def run(info: Info, call: Callable[[], Awaitable[Ticket]]) -> TicketPayload:
    """The payload of a service call that returns the ticket (ids are decoded inside `call`, so a
    bad one is a payload error like any other)."""
    row, errors = await attempt(info, call())
    return TicketPayload(ticket=TicketType.from_row(row) if row else None, errors=errors)


def _changes(i: UpdateTicketInput) -> TicketChanges:
    def ref(value: strawberry.ID | None, expected: type[ScopedNode], field: str) -> object:
        return UNSET if value is strawberry.UNSET else optional_id(value, expected, field)

    def plain(value: object) -> object:
        return UNSET if value is strawberry.UNSET else value

    # A non-null field set to null is a no-op, not an error: nothing to clear.
    return TicketChanges(
        assignee_id=ref(i.assignee_id, UserType, "assigneeId"), team_id=ref(i.team_id, TeamType, "teamId"),
        customer_id=ref(i.customer_id, CustomerType, "customerId"), order_id=ref(i.order_id, OrderType, "orderId"),
        priority=UNSET if i.priority is None else plain(i.priority), type=UNSET if i.type is None else plain(i.type),
        subject=UNSET if i.subject is None else plain(i.subject), tags=UNSET if i.tags is None else plain(i.tags))


@strawberry.type
class TicketMutations:
    @strawberry.mutation(permission_classes=WRITE, description="A ticket with the customer's first message; "
                         "numbered 1, 2, 3... per merchant.")
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:  # noqa: A002
        async def call() -> Ticket:
            data = NewTicket(
                type=input.type, channel=input.channel, subject=input.subject, body=input.body,
                attachments=to_attachments(input.attachments),
                customer_id=optional_id(input.customer_id, CustomerType, "customerId"),
                order_id=optional_id(input.order_id, OrderType, "orderId"),
                order_line_ids=decode_many(input.order_line_ids or [], None, "orderLineIds"),
                language=input.language, team_id=optional_id(input.team_id, TeamType, "teamId"),
                assignee_id=optional_id(input.assignee_id, UserType, "assigneeId"), priority=input.priority,
                tags=input.tags or [])
            return await tickets.create_ticket(info.context.require_principal(), data)
        return await run(info, call)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_ticket(self, info: Info, input: UpdateTicketInput) -> TicketPayload:  # noqa: A002
        async def call() -> Ticket:
            return await tickets.update_ticket(info.context.require_principal(),
                                               decode_id(input.ticket_id, TicketType, "ticketId"), _changes(input))
        return await run(info, call)

    @strawberry.mutation(permission_classes=WRITE, description="Only allowed transitions: INVALID_TRANSITION "
                         "otherwise, and nothing changes.")
    async def change_ticket_status(self, info: Info, input: ChangeTicketStatusInput) -> TicketPayload:  # noqa: A002
        async def call() -> Ticket:
            return await tickets.change_status(info.context.require_principal(),
                                               decode_id(input.ticket_id, TicketType, "ticketId"), input.status)
        return await run(info, call)

    @strawberry.mutation(permission_classes=WRITE, description="A resolved or closed ticket back to open.")
    async def reopen_ticket(self, info: Info, input: ReopenTicketInput) -> TicketPayload:  # noqa: A002
        async def call() -> Ticket:
            return await tickets.reopen(info.context.require_principal(),
                                        decode_id(input.ticket_id, TicketType, "ticketId"))
        return await run(info, call)
