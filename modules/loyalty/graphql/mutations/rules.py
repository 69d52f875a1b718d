"""createLoyaltyRule, updateLoyaltyRule, deleteLoyaltyRule."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.loyalty.graphql.types import LoyaltyRuleType
from modules.loyalty.models import EarnRule
from modules.loyalty.services import require_program
from modules.loyalty.services.rules import RuleInput, create_rule, delete_rule, update_rule

WRITE = [Requires("loyalty.program", "write")]


@strawberry.input(description="An earning rule, given whole.")
class LoyaltyRuleInput:
    event: str = strawberry.field(default="order_paid", description="order_paid.")
    mode: str = strawberry.field(default="per_amount", description="per_order, per_amount or per_unit.")
    points: int = 1
    basis: str = strawberry.field(default="net", description="net or gross.")
    per: Decimal = strawberry.field(default=Decimal(1), description="per_amount: the money that pays `points`.")
    min_amount: Decimal = Decimal(0)
    enabled: bool = True


@strawberry.input
class UpdateLoyaltyRuleInput:
    id: strawberry.ID
    rule: LoyaltyRuleInput


@strawberry.input
class DeleteLoyaltyRuleInput:
    id: strawberry.ID


@strawberry.type
class LoyaltyRulePayload:
    rule: LoyaltyRuleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteLoyaltyRulePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _data(given: LoyaltyRuleInput) -> RuleInput:
    return RuleInput(event=given.event, mode=given.mode, points=given.points, basis=given.basis, per=given.per,
                     min_amount=given.min_amount, enabled=given.enabled)


async def _view(tenant_id: int, rule: EarnRule) -> LoyaltyRuleType:
    return LoyaltyRuleType.of(rule, await require_program(tenant_id))


@strawberry.type
class RuleMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_loyalty_rule(self, info: Info, input: LoyaltyRuleInput) -> LoyaltyRulePayload:  # noqa: A002
        async def run() -> LoyaltyRuleType:
            actor = info.context.require_principal()
            return await _view(actor.tenant_id, await create_rule(actor, _data(input)))
        rule, errors = await attempt(info, run())
        return LoyaltyRulePayload(rule=rule, errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_loyalty_rule(self, info: Info, input: UpdateLoyaltyRuleInput  # noqa: A002
                                  ) -> LoyaltyRulePayload:
        async def run() -> LoyaltyRuleType:
            actor = info.context.require_principal()
            rule_id = decode_id(input.id, LoyaltyRuleType, "id")
            return await _view(actor.tenant_id, await update_rule(actor, rule_id, _data(input.rule)))
        rule, errors = await attempt(info, run())
        return LoyaltyRulePayload(rule=rule, errors=errors)

    @strawberry.mutation(permission_classes=WRITE, description="Points it paid stay.")
    async def delete_loyalty_rule(self, info: Info, input: DeleteLoyaltyRuleInput  # noqa: A002
                                  ) -> DeleteLoyaltyRulePayload:
        async def run() -> strawberry.ID:
            rule_id = decode_id(input.id, LoyaltyRuleType, "id")
            await delete_rule(info.context.require_principal(), rule_id)
            return to_global_id(LoyaltyRuleType, rule_id)
        deleted, errors = await attempt(info, run())
        return DeleteLoyaltyRulePayload(deleted_id=deleted, errors=errors)
