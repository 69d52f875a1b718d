"""The aftersales GraphQL part for routing and priority: rules (queries and mutations), agents'
availability and dedicated agents, and the fields added to User and Customer."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.graphql.permissions import Requires
from core.registry import GraphQLContribution
from core.tenancy import scoped
from modules.aftersales import models
from modules.aftersales.graphql.routing.mutations.agents import AgentMutations
from modules.aftersales.graphql.routing.mutations.priority import PriorityRuleMutations
from modules.aftersales.graphql.routing.mutations.rules import RoutingRuleMutations
from modules.aftersales.graphql.routing.types import (
    AgentUserFields,
    DedicatedAgentCustomerFields,
    PriorityRuleType,
    RoutingRuleType,
)
from modules.aftersales.services.routing.conditions import MAX_RULES

READ = [Requires("aftersales.ticket", "read")]


@strawberry.type
class RoutingQuery:
    @strawberry.field(permission_classes=READ, description="In the order they are tried (at most 200).")
    async def priority_rules(self, info: Info) -> list[PriorityRuleType]:
        rows = await scoped(models.PriorityRule, info.context.tenant_id).order_by("position", "id").limit(MAX_RULES)
        return [PriorityRuleType.from_row(r) for r in rows]

    @strawberry.field(permission_classes=READ, description="In the order they are tried (at most 200).")
    async def routing_rules(self, info: Info) -> list[RoutingRuleType]:
        rows = await scoped(models.RoutingRule, info.context.tenant_id).order_by("position", "id").limit(MAX_RULES)
        return [RoutingRuleType.from_row(r) for r in rows]


contribution = GraphQLContribution(
    queries=[RoutingQuery],
    mutations=[PriorityRuleMutations, RoutingRuleMutations, AgentMutations],
    types=[PriorityRuleType, RoutingRuleType],
    extends={"User": [AgentUserFields], "Customer": [DedicatedAgentCustomerFields]},
)
