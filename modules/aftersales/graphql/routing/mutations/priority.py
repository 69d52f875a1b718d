"""createPriorityRule, updatePriorityRule, deletePriorityRule, reorderPriorityRules."""

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
from modules.aftersales.graphql.routing.types import PriorityRuleType
from modules.aftersales.services.routing import priority
from modules.aftersales.services.routing.priority import PriorityRuleInput

WRITE = [Requires("aftersales.settings", "write")]


@strawberry.input
class CreatePriorityRuleInput:
    name: str
    priority: str = strawberry.field(description="low, normal, high or urgent.")
    conditions: RuleConditionsInput | None = None
    active: bool = True


@strawberry.input(description="Omitted fields are left as they are.")
class UpdatePriorityRuleInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    priority: str | None = strawberry.UNSET
    conditions: RuleConditionsInput | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class PriorityRulePayload:
    rule: PriorityRuleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PriorityRulesPayload:
    rules: list[PriorityRuleType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PriorityRuleMutations:
    @strawberry.mutation(permission_classes=WRITE, description="A new rule is tried after the existing ones.")
    async def create_priority_rule(self, info: Info, input: CreatePriorityRuleInput) -> PriorityRulePayload:  # noqa: A002
        return await save_rule(info, priority.create_rule(info.context.require_principal(), PriorityRuleInput(
            name=input.name, priority=input.priority, conditions=to_conditions(input.conditions),
            active=input.active)), PriorityRuleType, PriorityRulePayload)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_priority_rule(self, info: Info, input: UpdatePriorityRuleInput) -> PriorityRulePayload:  # noqa: A002
        async def run() -> models.PriorityRule:
            return await priority.update_rule(
                info.context.require_principal(), decode_id(input.id, PriorityRuleType, "id"), PriorityRuleInput(
                    name=kept(input.name), priority=kept(input.priority), active=kept(input.active),
                    conditions=updated_conditions(input.conditions)))
        return await save_rule(info, run(), PriorityRuleType, PriorityRulePayload)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_priority_rule(self, info: Info, input: DeleteRuleInput) -> DeleteRulePayload:  # noqa: A002
        return await delete_rule(info, input.id, PriorityRuleType, priority.delete_rule)

    @strawberry.mutation(permission_classes=WRITE, description="Rules are tried in this order; the first match wins.")
    async def reorder_priority_rules(self, info: Info, input: ReorderRulesInput) -> PriorityRulesPayload:  # noqa: A002
        return await reorder_rules(info, input.ids, PriorityRuleType, priority.reorder_rules, PriorityRulesPayload)
