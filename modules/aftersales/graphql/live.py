"""The aftersales GraphQL part for live updates: `ticketUpdated`, a subscription for live inboxes.

Over websockets (graphql-transport-ws) on /graphql; credentials in connection_init's payload.
Each change is re-read through the subscriber's tenant scope, and its credentials (token expiry,
membership) and permission are checked again for every change, so an expired token, a
deactivated member or a revoked grant ends the stream with an error.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from core.errors import ClientError, UserFacingError
from core.graphql.node import decode_id
from core.graphql.permissions import Requires, check
from core.i18n import N_
from core.registry import GraphQLContribution
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.models.ticket import TICKET_STATUSES
from modules.aftersales.services import live
from modules.team.graphql.types import TeamType, UserType

READ = ("aftersales.ticket", "read")
NOT_A_STATUS = N_("{status} is not a ticket status.")


@strawberry.input(name="TicketUpdatedFilter", description="Changed tickets to receive, by their state after "
                  "the change (and, as `removed`, those that matched before it); all of the tenant's when empty.")
class TicketUpdatedFilter:
    assignee_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = None
    status: str | None = None


@strawberry.type(name="TicketUpdate")
class TicketUpdate:
    read_permission = READ  # reached only through ticketUpdated, which checks it at every event
    kind: str = strawberry.field(description=(
        "What happened: created, updated, status_changed, message_added, delivery_changed (a reply's "
        "delivery state moved: the channels module); or removed: the ticket no longer "
        "matches your filter (reassigned, moved to another team or status), so a filtered inbox drops its row. "
        "`ticket` is the ticket as it is now."))
    ticket: TicketType


def to_watch(info: Info, f: TicketUpdatedFilter | None) -> live.TicketWatch:
    """The service's watch from GraphQL input; bad values are the client's error."""
    if f is None:
        return live.TicketWatch()
    locale = info.context.locale
    if f.status is not None and f.status not in TICKET_STATUSES:
        raise ClientError("INVALID_FILTER", NOT_A_STATUS, locale, "aftersales", status=f.status)
    try:
        return live.TicketWatch(
            assignee_id=decode_id(f.assignee_id, UserType, "assigneeId") if f.assignee_id is not None else None,
            team_id=decode_id(f.team_id, TeamType, "teamId") if f.team_id is not None else None,
            status=f.status)
    except UserFacingError as exc:
        raise ClientError(exc.code, exc.message, locale, exc.domain, **exc.params) from None


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(permission_classes=[Requires(*READ)],
                             description="Tickets of your tenant as they change, for live inboxes. Ends with an "
                             "UNAUTHENTICATED error once your access token expires or your membership ends: "
                             "log in again and subscribe again.")
    async def ticket_updated(
        self, info: Info, filter: TicketUpdatedFilter | None = None  # noqa: A002
    ) -> AsyncGenerator[TicketUpdate, None]:
        ctx = info.context
        watch = to_watch(info, filter)
        tenant_id = ctx.tenant_id
        hub = ctx.rt.live
        if hub is None:  # a runtime always has one; this only guards a half-built test runtime
            raise RuntimeError("live updates are not running in this process")
        async with live.ticket_changes(hub, tenant_id) as changes:
            async for change in changes:
                await ctx.recheck_credentials()
                await check(info, *READ)
                delivered = await live.delivery(tenant_id, change, watch)
                if delivered is None:
                    continue
                kind, row = delivered
                # The context lives as long as the websocket: cached loads would go stale.
                ctx.loaders.clear()
                yield TicketUpdate(kind=kind, ticket=TicketType.from_row(row))


contribution = GraphQLContribution(subscriptions=[LiveSubscription])
