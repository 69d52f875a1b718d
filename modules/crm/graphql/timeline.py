"""Customer.timeline: events from every registered source (modules/crm/services/timeline.py),
newest first, keyset-paginated."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.errors import ClientError
from core.graphql.node import node_type_for
from core.graphql.pagination import Connection, Edge, PageInfo, page_size
from core.graphql.permissions import held
from core.i18n import N_, translate
from modules.crm.services.timeline import TimelineCursor, TimelineEvent, timeline_page


@strawberry.type(name="TimelineEvent")
class TimelineEventType:
    kind: str = strawberry.field(description='Prefixed by the module that adds it, e.g. "crm.order_placed".')
    at: datetime
    summary: str = strawberry.field(description="Short, in the caller's language; no personal data.")
    link: strawberry.ID | None = strawberry.field(
        description="What the event is about: a global ID when linkType is a Node type (Order), else a plain id.")
    link_type: str | None


def _node(info: Info, event: TimelineEvent) -> TimelineEventType:
    link: strawberry.ID | None = None
    if event.ref_id is not None and event.ref_type:
        is_node = node_type_for(info, event.ref_type) is not None
        link = strawberry.ID(str(relay.GlobalID(event.ref_type, str(event.ref_id))) if is_node else str(event.ref_id))
    return TimelineEventType(kind=event.kind, at=event.at,
                             summary=translate(event.domain, event.summary, info.context.locale, **event.params),
                             link=link, link_type=event.ref_type)


async def resolve_timeline(info: Info, customer_id: int, first: int | None, after: str | None
                           ) -> Connection[TimelineEventType]:
    s = info.context.rt.settings
    size = page_size(first, s.default_page_size, s.max_page_size, info.context.locale)
    cursor = None
    if after:
        try:
            cursor = TimelineCursor.decode(after)
        except ValueError:
            raise ClientError("INVALID_CURSOR", N_("The cursor is not valid."), info.context.locale,
                              domain="crm") from None
    events, has_next = await timeline_page(info.context.tenant_id, customer_id, cursor, size, await held(info))
    edges = [Edge(cursor=e.cursor.encode(), node=_node(info, e)) for e in events]
    return Connection(edges=edges, page_info=PageInfo(
        has_next_page=has_next, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
