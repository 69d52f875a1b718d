"""batchUpdateTickets: one change to up to 500 tickets, all or nothing."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from modules.aftersales.graphql.tickets.mutations.lifecycle import WRITE, decode_many, optional_id
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.services.tickets.batch import MAX_BATCH, batch_update
from modules.aftersales.services.tickets.lifecycle import UNSET
from modules.team.graphql.types import UserType


@strawberry.input(description=f"At most {MAX_BATCH} tickets. Omitted changes are not made; assigneeId null "
                              "unassigns.")
class BatchUpdateTicketsInput:
    ticket_ids: list[strawberry.ID]
    assignee_id: strawberry.ID | None = strawberry.UNSET
    status: str | None = None
    priority: str | None = None
    add_tags: list[str] | None = None
    remove_tags: list[str] | None = None


@strawberry.type
class BatchUpdateTicketsPayload:
    tickets: list[TicketType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Every offending ticket, by its index in ticketIds; nothing changed.")


@strawberry.type
class TicketBatchMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def batch_update_tickets(self, info: Info, input: BatchUpdateTicketsInput  # noqa: A002
                                   ) -> BatchUpdateTicketsPayload:
        async def call() -> list[TicketType]:
            if len(input.ticket_ids) > MAX_BATCH:  # before decoding thousands of ids
                rows = await batch_update(info.context.require_principal(), [0] * len(input.ticket_ids))
            else:
                rows = await batch_update(
                    info.context.require_principal(), decode_many(input.ticket_ids, TicketType, "ticketIds"),
                    assignee_id=UNSET if input.assignee_id is strawberry.UNSET
                    else optional_id(input.assignee_id, UserType, "assigneeId"),
                    status=input.status, priority=input.priority, add_tags=input.add_tags or [],
                    remove_tags=input.remove_tags or [])
            return [TicketType.from_row(r) for r in rows]
        result, errors = await attempt(info, call())
        return BatchUpdateTicketsPayload(tickets=result or [], errors=errors)
