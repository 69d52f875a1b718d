"""The Ticket node type, shared by every aftersales GraphQL part (tickets, macros, SLA, KB, live),
with its messages and events.

Relations (customer, order, assignee, team, tags, last message) go through per-request
DataLoaders, so an inbox page costs the same queries whatever its size. The customer and order
are crm's own types, shown only to callers who may read customers.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.graphql.loaders import load_node
from core.graphql.money import Money
from core.graphql.nested_pages import nested_connection
from core.graphql.node import ScopedNode
from core.graphql.pagination import Connection, Ordering, page_size
from core.graphql.selection import prefetched_or
from core.storage import links as storage_links
from modules.aftersales import models
from modules.aftersales.graphql import dataloaders
from modules.aftersales.services.tickets.lifecycle import sla_state
from modules.crm.graphql.types import CustomerType, OrderLineType, OrderType
from modules.team.graphql import dataloaders as team_loaders
from modules.team.graphql.types import TeamType, UserType


@strawberry.type
class Attachment:
    name: str
    content_type: str
    size: int
    url: str = strawberry.field(description=(
        "Where to fetch it: the link the client gave, or for a file that came in with the message a "
        "signed link (a path on this API) that works for 15 minutes; empty when the file was refused."))
    refused: str | None = strawberry.field(default=None, description=(
        "Why a file that came in was not kept (executable, too_large, too_many); null when it was."))

    @classmethod
    def of(cls, data: dict[str, Any]) -> Attachment:
        name, content_type, key = data.get("name", ""), data.get("contentType", ""), data.get("key", "")
        url = storage_links.url_for(key, name, content_type) if key else data.get("url", "")
        return cls(name=name, content_type=content_type, size=data.get("size", 0), url=url,
                   refused=data.get("refused") or None)


# Event data is stored with row ids (workers and the outbox read it); the API shows global IDs.
_ID_KEYS = {"team": "Team", "assignee": "User", "user": "User", "customer": "Customer", "order": "Order",
            "ruleId": "EscalationRule"}
_FROM_TO = {"assigned": "User", "team_changed": "Team"}


def _global(type_name: str, value: object) -> object:
    return str(relay.GlobalID(type_name, str(value))) if isinstance(value, int) and not isinstance(value, bool) \
        else value


def _walk(value: object) -> object:
    if isinstance(value, dict):
        return {k: _global(_ID_KEYS[k], v) if k in _ID_KEYS else _walk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    return value


def event_data(kind: str, data: object) -> object:
    shown = _walk(data)
    if kind in _FROM_TO and isinstance(shown, dict):
        shown = {k: _global(_FROM_TO[kind], v) if k in ("from", "to") else v for k, v in shown.items()}
    return shown


async def _user(info: Info, user_id: int | None) -> UserType | None:
    return await load_node(team_loaders.users_by_id(info), user_id, UserType)


@strawberry.type(name="TicketMessage")
class TicketMessageType(ScopedNode):
    id: relay.NodeID[int]
    kind: str = strawberry.field(description="inbound (the customer), outbound (a reply) or note (internal).")
    body: str
    language: str
    translated_body: str | None = strawberry.field(description="Machine translation, when a provider is set up.")
    translated_language: str | None
    created_at: datetime
    row: strawberry.Private[models.TicketMessage]
    read_permission = ("aftersales.ticket", "read")
    model = models.TicketMessage

    @classmethod
    def from_row(cls, row: models.TicketMessage) -> Self:
        return cls(id=row.id, kind=row.kind, body=row.body, language=row.language,
                   translated_body=row.translated_body, translated_language=row.translated_language,
                   created_at=row.created_at, row=row)

    @strawberry.field
    def attachments(self) -> list[Attachment]:
        return [Attachment.of(a) for a in self.row.attachments or []]

    @strawberry.field(description="The agent who wrote it; null for the customer's messages.")
    async def author(self, info: Info) -> UserType | None:
        return await _user(info, self.row.author_id)


@strawberry.type(name="TicketEvent")
class TicketEventType(ScopedNode):
    id: relay.NodeID[int]
    kind: str = strawberry.field(description="created, status_changed, assigned, priority_changed, tags_changed...")
    created_at: datetime
    row: strawberry.Private[models.TicketEvent]
    read_permission = ("aftersales.ticket", "read")
    model = models.TicketEvent

    @classmethod
    def from_row(cls, row: models.TicketEvent) -> Self:
        return cls(id=row.id, kind=row.kind, created_at=row.created_at, row=row)

    @strawberry.field(description='What changed, e.g. {"from": "open", "to": "resolved"}; a team, user, customer, '
                                  "order or escalation rule in it is its global ID, as everywhere in the API.")
    def data(self) -> JSON:
        return cast(JSON, event_data(self.row.kind, self.row.data))

    @strawberry.field(description="Null for the system (routing, rules, SLA).")
    async def actor(self, info: Info) -> UserType | None:
        return await _user(info, self.row.actor_id)


@strawberry.type(name="Ticket")
class TicketType(ScopedNode):
    id: relay.NodeID[int]
    number: int
    type: str
    channel: str
    subject: str
    language: str
    status: str
    priority: str
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    sla_breached: bool
    row: strawberry.Private[models.Ticket]
    # What a list's resolver loaded for the whole page (tickets.prefetch): field -> value.
    prefetched: strawberry.Private[dict[Any, Any]] = dataclasses.field(default_factory=dict)
    read_permission = ("aftersales.ticket", "read")
    model = models.Ticket

    @classmethod
    def from_row(cls, row: models.Ticket) -> Self:
        return cls(id=row.id, number=row.number, type=row.type, channel=row.channel, subject=row.subject,
                   language=row.language, status=row.status, priority=row.priority, created_at=row.created_at,
                   updated_at=row.updated_at, first_response_due=row.first_response_due,
                   next_response_due=row.next_response_due, resolution_due=row.resolution_due,
                   sla_breached=row.sla_breached, row=row)

    @strawberry.field(description="Set by an agent: the priority rules leave it alone.")
    def priority_overridden(self) -> bool:
        return self.row.priority_overridden

    @strawberry.field
    def last_message_at(self) -> datetime | None:
        return self.row.last_message_at

    @strawberry.field
    def first_response_at(self) -> datetime | None:
        return self.row.first_response_at

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field
    def closed_at(self) -> datetime | None:
        return self.row.closed_at

    @strawberry.field(description="The earliest SLA deadline still running.")
    def next_sla_due(self) -> datetime | None:
        return self.row.next_sla_due

    @strawberry.field
    def escalation_level(self) -> int:
        return self.row.escalation_level

    @strawberry.field(description="ok, due_soon (within the hour), breached, paused (waiting on the customer) "
                                  "or none (no SLA clock runs).")
    def sla_state(self) -> str:
        return sla_state(self.row)

    # The fields the inbox loads up front are sync: a prefetched value as it is, else the awaitable
    # of the one-ticket way.
    @strawberry.field(description="Needs crm.customer:read.")
    def customer(self, info: Info) -> CustomerType | None:
        return cast(CustomerType | None, prefetched_or(self.prefetched, "customer", lambda: load_node(
            dataloaders.customers(info), self.row.customer_id, CustomerType)))

    @strawberry.field(description="Needs crm.customer:read.")
    async def order(self, info: Info) -> OrderType | None:
        if self.row.order_id is None:
            return None
        return await load_node(dataloaders.orders(info), self.row.order_id, OrderType)

    @strawberry.field(description="The order's lines this ticket is about.")
    async def order_lines(self, info: Info) -> list[OrderLineType]:
        locale = info.context.format_locale
        return [OrderLineType(id=strawberry.ID(str(line.id)), sku=line.sku, name=line.name, quantity=line.quantity,
                              unit_price=Money.of(line.unit_price, line.currency, locale))
                for line in await dataloaders.order_lines(info).load(self.id)]

    @strawberry.field
    def assignee(self, info: Info) -> UserType | None:
        return cast(UserType | None, prefetched_or(self.prefetched, "assignee",
                                                   lambda: _user(info, self.row.assignee_id)))

    @strawberry.field
    def team(self, info: Info) -> TeamType | None:
        return cast(TeamType | None, prefetched_or(self.prefetched, "team", lambda: load_node(
            dataloaders.teams(info), self.row.team_id, TeamType)))

    async def _tags(self, info: Info) -> list[str]:
        return list(await dataloaders.tags(info).load(self.id))

    @strawberry.field
    def tags(self, info: Info) -> list[str]:
        return cast(list[str], prefetched_or(self.prefetched, "tags", lambda: self._tags(info)))

    async def _last_message(self, info: Info) -> TicketMessageType | None:
        rows = await dataloaders.last_messages(info).load(self.id)
        return TicketMessageType.from_row(rows[0]) if rows else None

    @strawberry.field(description="The newest message of any kind.")
    def last_message(self, info: Info) -> TicketMessageType | None:
        return cast(TicketMessageType | None, prefetched_or(self.prefetched, "lastMessage",
                                                            lambda: self._last_message(info)))

    def _page(self, info: Info, first: int | None) -> int:
        s = info.context.rt.settings
        return page_size(first, s.default_page_size, s.max_page_size, info.context.locale)

    @strawberry.field(description="Oldest first.")
    async def messages(self, info: Info, first: int | None = None, after: str | None = None
                       ) -> Connection[TicketMessageType]:
        return await nested_connection(info, models.TicketMessage, "ticket_id", self.id, first=self._page(info, first),
                                       after=after, ordering=Ordering("created_at"), to_node=TicketMessageType.from_row)

    @strawberry.field(description="What happened to the ticket, oldest first.")
    async def events(self, info: Info, first: int | None = None, after: str | None = None
                     ) -> Connection[TicketEventType]:
        return await nested_connection(info, models.TicketEvent, "ticket_id", self.id, first=self._page(info, first),
                                       after=after, ordering=Ordering("id"), to_node=TicketEventType.from_row)
