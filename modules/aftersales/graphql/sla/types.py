"""GraphQL types of SLAs: policies, calendars, escalation rules, the escalations a ticket went
through (a field added to Ticket), and the input conversion their mutations share."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.graphql.loaders import load_node, rows_by_id, rows_grouped
from core.graphql.node import ScopedNode, decode_id
from modules.aftersales import models
from modules.aftersales.graphql.types import TicketType
from modules.team.graphql import dataloaders as team_loaders
from modules.team.graphql.types import TeamType, UserType
from modules.team.models import Team

READ_PERMISSION = ("aftersales.ticket", "read")


def input_values(given: Any, ids: dict[str, type[ScopedNode]], nullable: frozenset[str]) -> dict[str, Any]:
    """A mutation input as the services' field names: omitted fields left out, global IDs decoded,
    null kept only where null means something (`nullable`), else taken as omitted."""
    values: dict[str, Any] = {}
    for key, value in vars(given).items():
        if key == "id" or value is strawberry.UNSET or (value is None and key not in nullable):
            continue
        node_type = ids.get(key)
        values[key] = decode_id(value, node_type, _camel(key)) if node_type and value is not None else value
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def _team(info: Info, team_id: int | None) -> TeamType | None:
    return await load_node(rows_by_id(info, Team), team_id, TeamType)


@strawberry.type(name="SlaPolicy", description="Targets in business minutes (null: that clock does not run) for "
                 "the tickets matching every non-empty condition list; the first active match by position applies.")
class SlaPolicyType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    position: int
    active: bool
    priorities: list[str]
    tiers: list[str] = strawberry.field(description="The customer's tier.")
    channels: list[str]
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    created_at: datetime
    updated_at: datetime
    read_permission = READ_PERMISSION
    model = models.SlaPolicy

    @classmethod
    def from_row(cls, row: models.SlaPolicy) -> Self:
        return cls(id=row.id, name=row.name, position=row.position, active=row.active, priorities=row.priorities,
                   tiers=row.tiers, channels=row.channels, first_response_minutes=row.first_response_minutes,
                   next_response_minutes=row.next_response_minutes, resolution_minutes=row.resolution_minutes,
                   created_at=row.created_at, updated_at=row.updated_at)


@strawberry.type(name="SlaCalendar", description="The public holidays a team observes; without a team, the "
                 "tenant default (also the hours of tickets without a team; empty: around the clock).")
class SlaCalendarType:
    team_id: strawberry.Private[int | None]
    holiday_country: str
    holiday_subdivision: str
    working_hours: JSON

    @classmethod
    def from_row(cls, row: models.SlaCalendar) -> Self:
        return cls(team_id=row.team_id, holiday_country=row.holiday_country,
                   holiday_subdivision=row.holiday_subdivision, working_hours=row.working_hours)

    @strawberry.field
    async def team(self, info: Info) -> TeamType | None:
        return await _team(info, self.team_id)


@strawberry.type(name="EscalationRule", description="When a matching ticket's clock is breached (or due within "
                 "withinMinutes wall-clock minutes): notify, reassign and/or raise the priority one step.")
class EscalationRuleType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    position: int
    active: bool
    trigger: str = strawberry.field(description="breached or due_soon.")
    within_minutes: int
    clock: str = strawberry.field(description="any, first_response, next_response or resolution.")
    priorities: list[str] = strawberry.field(description="Empty: any priority.")
    notify: bool = strawberry.field(description="Records an aftersales.ticket_escalated event for notifiers.")
    raise_priority: bool
    row: strawberry.Private[models.EscalationRule]
    read_permission = READ_PERMISSION
    model = models.EscalationRule

    @classmethod
    def from_row(cls, row: models.EscalationRule) -> Self:
        return cls(id=row.id, name=row.name, position=row.position, active=row.active, trigger=row.trigger,
                   within_minutes=row.within_minutes, clock=row.clock, priorities=row.priorities, notify=row.notify,
                   raise_priority=row.raise_priority, row=row)

    @strawberry.field(description="Only tickets of this team (null: any).")
    async def team(self, info: Info) -> TeamType | None:
        return await _team(info, self.row.team_id)

    @strawberry.field
    async def reassign_team(self, info: Info) -> TeamType | None:
        return await _team(info, self.row.reassign_team_id)

    @strawberry.field
    async def reassign_user(self, info: Info) -> UserType | None:
        return await load_node(team_loaders.users_by_id(info), self.row.reassign_user_id, UserType)


@strawberry.type(name="TicketEscalation", description="One escalation rule that fired on a ticket.")
class TicketEscalationType:
    rule_name: str
    clock: str
    trigger: str
    due_at: datetime = strawberry.field(description="The deadline that was breached or close.")
    level: int
    actions: JSON
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.EscalationRecord) -> Self:
        return cls(rule_name=row.rule_name, clock=row.clock, trigger=row.trigger, due_at=row.due_at, level=row.level,
                   actions=row.actions, created_at=row.created_at)


@strawberry.type
class TicketSlaFields:
    @strawberry.field(description="Escalation rules that fired on this ticket, oldest first.")
    async def escalations(self, info: Info) -> list[TicketEscalationType]:
        ticket: TicketType = self  # type: ignore[assignment]
        rows = await rows_grouped(info, models.EscalationRecord, "ticket_id", ("created_at", "id")).load(ticket.id)
        return [TicketEscalationType.from_row(r) for r in rows]

    @strawberry.field(description="When the clocks were paused (pending the customer, resolved or closed).")
    def sla_paused_at(self) -> datetime | None:
        ticket: TicketType = self  # type: ignore[assignment]
        return ticket.row.sla_paused_at
