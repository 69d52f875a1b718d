"""GraphQL types of routing and priority: rules, their conditions, and the fields aftersales adds to
User (availability, capacity, open tickets) and Customer (dedicated agent)."""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import load_node, loader_by_key, rows_by_id
from core.graphql.money import Money
from core.graphql.node import ScopedNode
from modules.aftersales import models
from modules.aftersales.services.routing import assignment as routing
from modules.team.graphql import dataloaders as team_loaders
from modules.team.graphql.types import TeamType, UserType
from modules.team.models import Team

READ_PERMISSION = ("aftersales.ticket", "read")


@strawberry.type(name="RuleConditions", description="Every condition given must hold; a list holds when any "
                 "of its values matches. Null: no condition on this.")
class RuleConditionsType:
    types: list[str] | None
    channels: list[str] | None
    languages: list[str] | None
    countries: list[str] | None = strawberry.field(description="The customer's country.")
    tiers: list[str] | None = strawberry.field(description="The customer's tier.")
    min_order_total: Money | None = strawberry.field(
        description="The ticket's order is in this currency and its total at least this.")
    keywords: list[str] | None = strawberry.field(description="Whole words in the subject or body (any case).")

    @classmethod
    def of(cls, conditions: dict[str, Any], locale: str) -> RuleConditionsType:
        total = conditions.get("min_order_total")
        return cls(types=conditions.get("types"), channels=conditions.get("channels"),
                   languages=conditions.get("languages"), countries=conditions.get("countries"),
                   tiers=conditions.get("tiers"), keywords=conditions.get("keywords"),
                   min_order_total=Money.of(total["minor"], total["currency"], locale) if total else None)


@strawberry.type(name="PriorityRule")
class PriorityRuleType(ScopedNode):
    id: relay.NodeID[int]
    position: int
    name: str
    priority: str
    active: bool
    row: strawberry.Private[models.PriorityRule]
    read_permission = READ_PERMISSION
    model = models.PriorityRule

    @classmethod
    def from_row(cls, row: models.PriorityRule) -> Self:
        return cls(id=row.id, position=row.position, name=row.name, priority=row.priority, active=row.active,
                   row=row)

    @strawberry.field
    def conditions(self, info: Info) -> RuleConditionsType:
        return RuleConditionsType.of(self.row.conditions, info.context.locale)


@strawberry.type(name="RoutingRule")
class RoutingRuleType(ScopedNode):
    id: relay.NodeID[int]
    position: int
    name: str
    strategy: str = strawberry.field(description="round_robin or least_loaded.")
    active: bool
    row: strawberry.Private[models.RoutingRule]
    read_permission = READ_PERMISSION
    model = models.RoutingRule

    @classmethod
    def from_row(cls, row: models.RoutingRule) -> Self:
        return cls(id=row.id, position=row.position, name=row.name, strategy=row.strategy, active=row.active,
                   row=row)

    @strawberry.field
    def conditions(self, info: Info) -> RuleConditionsType:
        return RuleConditionsType.of(self.row.conditions, info.context.locale)

    @strawberry.field
    async def team(self, info: Info) -> TeamType | None:
        return await load_node(rows_by_id(info, Team), self.row.team_id, TeamType)


def profiles_by_user(info: Info) -> DataLoader[int, models.AgentProfile | None]:
    return loader_by_key(info, "aftersales.profiles_by_user", routing.profiles)


def open_tickets_by_user(info: Info) -> DataLoader[int, int]:
    return loader_by_key(info, "aftersales.open_tickets_by_user", routing.open_loads, 0)


@strawberry.type
class AgentUserFields:
    """Added to User: what ticket routing knows about the agent."""

    @strawberry.field(description="Takes new tickets (the agent's on-shift toggle).")
    async def available_for_tickets(self, info: Info) -> bool:
        user: UserType = self  # type: ignore[assignment]
        profile = await profiles_by_user(info).load(int(user.id))
        return profile is None or profile.available

    @strawberry.field(description="Open tickets routing may give the agent at most; null: no limit.")
    async def max_open_tickets(self, info: Info) -> int | None:
        user: UserType = self  # type: ignore[assignment]
        profile = await profiles_by_user(info).load(int(user.id))
        return profile.max_open_tickets if profile else None

    @strawberry.field(description="Tickets assigned to the agent that are not resolved or closed.")
    async def open_tickets(self, info: Info) -> int:
        user: UserType = self  # type: ignore[assignment]
        return await open_tickets_by_user(info).load(int(user.id))


def dedicated_by_customer(info: Info) -> DataLoader[int, int | None]:
    return loader_by_key(info, "aftersales.dedicated_by_customer", routing.dedicated_agents)


@strawberry.type
class DedicatedAgentCustomerFields:
    """Added to Customer: the agent who takes all of this customer's new tickets."""

    @strawberry.field(description="Gets every new ticket of this customer (VIP care).")
    async def dedicated_agent(self, info: Info) -> UserType | None:
        customer_id = int(self.id)  # type: ignore[attr-defined]
        user_id = await dedicated_by_customer(info).load(customer_id)
        return await load_node(team_loaders.users_by_id(info), user_id, UserType)
