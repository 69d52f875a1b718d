"""createRule, updateRule, deleteRule: every mistake a payload error at its path, nothing half-saved."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.automation.graphql.inputs import RuleActionInput, change_of
from modules.automation.graphql.types import CONDITIONS_HELP, RuleType
from modules.automation.services import rules

WRITE = [Requires("automation.rule", "write")]


@strawberry.input
class CreateRuleInput:
    trigger: str = strawberry.field(description="A declared trigger's event (automationTriggers).")
    actions: list[RuleActionInput]
    conditions: JSON | None = strawberry.field(default=strawberry.UNSET, description=CONDITIONS_HELP)
    description: str | None = strawberry.UNSET
    position: int | None = strawberry.field(default=strawberry.UNSET, description="Omit to run after the others.")
    enabled: bool | None = strawberry.UNSET


@strawberry.input(description="Omit a field to keep it.")
class UpdateRuleInput:
    id: strawberry.ID
    trigger: str | None = strawberry.UNSET
    actions: list[RuleActionInput] | None = strawberry.UNSET
    conditions: JSON | None = strawberry.field(default=strawberry.UNSET, description=CONDITIONS_HELP)
    description: str | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET


@strawberry.input(name="DeleteAutomationRuleInput")  # aftersales has a DeleteRuleInput
class DeleteRuleInput:
    id: strawberry.ID


@strawberry.type
class RulePayload:
    rule: RuleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(name="DeleteAutomationRulePayload")
class DeleteRulePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RuleMutations:
    @strawberry.mutation(permission_classes=WRITE, description="A rule on a trigger; checked whole before saving.")
    async def create_rule(self, info: Info, input: CreateRuleInput) -> RulePayload:  # noqa: A002
        async def run() -> RuleType:
            return RuleType.from_row(await rules.create_rule(info.context.require_principal(), change_of(input)))
        rule, errors = await attempt(info, run())
        return RulePayload(rule=rule, errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_rule(self, info: Info, input: UpdateRuleInput) -> RulePayload:  # noqa: A002
        async def run() -> RuleType:
            rule_id = decode_id(input.id, RuleType, "id")
            return RuleType.from_row(await rules.update_rule(info.context.require_principal(), rule_id,
                                                             change_of(input)))
        rule, errors = await attempt(info, run())
        return RulePayload(rule=rule, errors=errors)

    @strawberry.mutation(permission_classes=WRITE, description="The rule and its firings go.")
    async def delete_rule(self, info: Info, input: DeleteRuleInput) -> DeleteRulePayload:  # noqa: A002
        async def run() -> strawberry.ID:
            rule_id = decode_id(input.id, RuleType, "id")
            await rules.delete_rule(info.context.require_principal(), rule_id)
            return to_global_id(RuleType, rule_id)
        deleted, errors = await attempt(info, run())
        return DeleteRulePayload(deleted_id=deleted, errors=errors)
