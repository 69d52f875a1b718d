"""createRoutingRule, updateRoutingRule, deleteRoutingRule, reorderRoutingRules."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales import models
from modules.aftersales.graphql.routing.mutations.conditions import (
    DeleteRuleInput,
    DeleteRulePayload,
    ReorderRulesInput,
    RuleConditionsInput,
    delete_rule,
    kept,
    reorder_rules,
    save_rule,
    to_conditions,
    updated_conditions,
)
from modules.aftersales.graphql.routing.types import RoutingRuleType
from modules.aftersales.services.routing import assignment as routing
from modules.aftersales.services.routing.assignment import UNSET, RoutingRuleInput
from modules.team.graphql.types import TeamType

WRITE = [Requires("aftersales.settings", "write")]


@strawberry.input
class CreateRoutingRuleInput:
    name: str
    team_id: strawberry.ID
    strategy: str = strawberry.field(default="round_robin", description="round_robin or least_loaded.")
    conditions: RuleConditionsInput | None = None
    active: bool = True


@strawberry.input(description="Omitted fields are left as they are.")
class UpdateRoutingRuleInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    strategy: str | None = strawberry.UNSET
    conditions: RuleConditionsInput | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class RoutingRulePayload:
    rule: RoutingRuleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RoutingRulesPayload:
    rules: list[RoutingRuleType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RoutingRuleMutations:
    @strawberry.mutation(permission_classes=WRITE, description="A new rule is tried after the existing ones.")
    async def create_routing_rule(self, info: Info, input: CreateRoutingRuleInput) -> RoutingRulePayload:  # noqa: A002
        async def run() -> models.RoutingRule:
            return await routing.create_rule(info.context.require_principal(), RoutingRuleInput(
                name=input.name, team_id=decode_id(input.team_id, TeamType, "teamId"), strategy=input.strategy,
                conditions=to_conditions(input.conditions), active=input.active))
        return await save_rule(info, run(), RoutingRuleType, RoutingRulePayload)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_routing_rule(self, info: Info, input: UpdateRoutingRuleInput) -> RoutingRulePayload:  # noqa: A002
        async def run() -> models.RoutingRule:
            team = kept(input.team_id)
            return await routing.update_rule(
                info.context.require_principal(), decode_id(input.id, RoutingRuleType, "id"), RoutingRuleInput(
                    name=kept(input.name), strategy=kept(input.strategy), active=kept(input.active),
                    team_id=team if team is UNSET else decode_id(team, TeamType, "teamId"),
                    conditions=updated_conditions(input.conditions)))
        return await save_rule(info, run(), RoutingRuleType, RoutingRulePayload)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_routing_rule(self, info: Info, input: DeleteRuleInput) -> DeleteRulePayload:  # noqa: A002
        return await delete_rule(info, input.id, RoutingRuleType, routing.delete_rule)

    @strawberry.mutation(permission_classes=WRITE, description="Rules are tried in this order; the first match wins.")
    async def reorder_routing_rules(self, info: Info, input: ReorderRulesInput) -> RoutingRulesPayload:  # noqa: A002
        return await reorder_rules(info, input.ids, RoutingRuleType, routing.reorder_rules, RoutingRulesPayload)
