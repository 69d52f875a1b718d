"""The tickets part of the aftersales schema: the `tickets` inbox connection and `ticket(id)`,
the ticket mutations, `Customer.tickets`, and the tickets' events on crm's customer timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from core.errors import ClientError, UserFacingError
from core.graphql.node import decode_id
from core.graphql.pagination import Connection, Ordering, SortDirection, page_size, paginate
from core.graphql.permissions import Requires
from core.i18n import N_
from core.registry import GraphQLContribution
from modules.aftersales.graphql.tickets.mutations.batch import TicketBatchMutations
from modules.aftersales.graphql.tickets.mutations.lifecycle import TicketMutations
from modules.aftersales.graphql.tickets.mutations.messages import TicketMessageMutations
from modules.aftersales.graphql.tickets.prefetch import prefetch_tickets
from modules.aftersales.graphql.types import TicketEventType, TicketMessageType, TicketType
from modules.aftersales.models.ticket import PRIORITIES, TICKET_CHANNELS, TICKET_STATUSES, TICKET_TYPES
from modules.aftersales.services.tickets import timeline  # noqa: F401  (registers the timeline source)
from modules.aftersales.services.tickets.filters import SORT_KEYS, TicketFilter, filter_tickets, with_sort_keys
from modules.crm.graphql.types import CustomerType, OrderType
from modules.team.graphql.types import TeamType, UserType

READ = [Requires("aftersales.ticket", "read")]
MAX_DUE_MINUTES = 60 * 24 * 365


@strawberry.enum
class TicketOrderField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    PRIORITY = "priority"
    NEXT_SLA_DUE = "next_sla_due"


@strawberry.input(description="Priority sorts by rank (urgent first when descending); tickets without an SLA "
                              "deadline come last when sorting by nextSlaDue ascending.")
class TicketOrder:
    field: TicketOrderField = TicketOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input(description="All conditions must hold; a list matches any of its values.")
class TicketFilterInput:
    status: list[str] | None = None
    assignee_id: strawberry.ID | None = None
    unassigned: bool | None = strawberry.field(default=None, description="Only tickets nobody is assigned to.")
    team_id: strawberry.ID | None = None
    priority: list[str] | None = None
    type: list[str] | None = None
    language: list[str] | None = None
    channel: list[str] | None = None
    customer_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    sla_breached: bool | None = None
    sla_due_within_minutes: int | None = strawberry.field(
        default=None, description="The next SLA deadline falls within this many minutes (or has passed).")
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = strawberry.field(default=None, description="In the subject or any message.")
    tag: str | None = None


def _choices(values: list[str] | None, allowed: tuple[str, ...], field: str) -> list[str] | None:
    for value in values or []:
        if value not in allowed:
            raise UserFacingError("INVALID_CHOICE", N_("Choose one of: {choices}."), field=[field],
                                  params={"choices": ", ".join(allowed)}, domain="aftersales")
    return values or None


def to_filter(f: TicketFilterInput | None) -> TicketFilter:
    """The service's filter from GraphQL input (raises UserFacingError on a bad value)."""
    if f is None:
        return TicketFilter()
    due = f.sla_due_within_minutes
    if due is not None and not 0 <= due <= MAX_DUE_MINUTES:
        raise UserFacingError("OUT_OF_RANGE", N_("Between {min} and {max}."), field=["slaDueWithinMinutes"],
                              params={"min": 0, "max": MAX_DUE_MINUTES}, domain="aftersales")
    return TicketFilter(
        statuses=_choices(f.status, TICKET_STATUSES, "status"),
        priorities=_choices(f.priority, PRIORITIES, "priority"),
        types=_choices(f.type, TICKET_TYPES, "type"),
        channels=_choices(f.channel, TICKET_CHANNELS, "channel"),
        languages=f.language or None, unassigned=bool(f.unassigned),
        assignee_id=decode_id(f.assignee_id, UserType, "assigneeId") if f.assignee_id else None,
        team_id=decode_id(f.team_id, TeamType, "teamId") if f.team_id else None,
        customer_id=decode_id(f.customer_id, CustomerType, "customerId") if f.customer_id else None,
        order_id=decode_id(f.order_id, OrderType, "orderId") if f.order_id else None,
        sla_breached=f.sla_breached, sla_due_within_minutes=due, created_from=f.created_from,
        created_to=f.created_to, text=(f.text or "").strip() or None, tag=(f.tag or "").strip() or None)


async def ticket_page(info: Info, f: TicketFilter, first: int | None, after: str | None,
                      order: TicketOrder | None) -> Connection[TicketType]:
    """One keyset page of the caller's tickets; also behind Customer.tickets."""
    ctx = info.context
    order = order or TicketOrder()
    s = ctx.rt.settings
    key = SORT_KEYS.get(order.field.value, order.field.value)
    qs = with_sort_keys(filter_tickets(ctx.tenant_id, f, datetime.now(UTC)))
    page = await paginate(qs, first=page_size(first, s.default_page_size, s.max_page_size, ctx.locale), after=after,
                          ordering=Ordering(key, order.direction == SortDirection.DESC),
                          to_node=TicketType.from_row, locale=ctx.locale)
    await prefetch_tickets(info, [edge.node for edge in page.edges])
    return page


@strawberry.type
class TicketQuery:
    @strawberry.field(permission_classes=READ, description="The inbox: newest first unless ordered otherwise.")
    async def tickets(self, info: Info, first: int | None = None, after: str | None = None,
                      filter: TicketFilterInput | None = None,  # noqa: A002
                      order_by: TicketOrder | None = None) -> Connection[TicketType]:
        try:
            f = to_filter(filter)
        except UserFacingError as exc:
            raise ClientError(exc.code, exc.message, info.context.locale, exc.domain, **exc.params) from None
        return await ticket_page(info, f, first, after, order_by)

    @strawberry.field(permission_classes=READ)
    async def ticket(self, info: Info, id: strawberry.ID) -> TicketType | None:  # noqa: A002
        try:
            pk = str(decode_id(id, TicketType, "id"))
        except UserFacingError:
            return None
        (node,) = await TicketType.resolve_nodes(info=info, node_ids=[pk])
        return node


@strawberry.type
class CustomerTicketFields:
    @strawberry.field(description="The customer's tickets, newest first. Needs aftersales.ticket:read.")
    async def tickets(self, info: Info, first: int | None = None, after: str | None = None
                      ) -> Connection[TicketType] | None:
        customer: CustomerType = self  # type: ignore[assignment]
        return await ticket_page(info, TicketFilter(customer_id=customer.id), first, after, None)


contribution = GraphQLContribution(
    queries=[TicketQuery],
    mutations=[TicketMutations, TicketMessageMutations, TicketBatchMutations],
    types=[TicketType, TicketMessageType, TicketEventType],
    extends={"Customer": [CustomerTicketFields]},
)
