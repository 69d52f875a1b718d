"""createLoyaltyTier, updateLoyaltyTier, deleteLoyaltyTier."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.loyalty.graphql.types import LoyaltyTierType
from modules.loyalty.models import Tier
from modules.loyalty.services import require_program
from modules.loyalty.services.tiers import TierInput, create_tier, delete_tier, update_tier

WRITE = [Requires("loyalty.program", "write")]


@strawberry.input(description="Thresholds are points, or money of the program's currency when tiers count spend.")
class LoyaltyTierInput:
    name: str
    entry_threshold: Decimal
    retain_threshold: Decimal | None = strawberry.field(default=None, description="Omit: the entry threshold.")


@strawberry.input
class UpdateLoyaltyTierInput:
    id: strawberry.ID
    tier: LoyaltyTierInput


@strawberry.input
class DeleteLoyaltyTierInput:
    id: strawberry.ID


@strawberry.type
class LoyaltyTierPayload:
    tier: LoyaltyTierType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteLoyaltyTierPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _data(given: LoyaltyTierInput) -> TierInput:
    return TierInput(name=given.name, entry_threshold=given.entry_threshold, retain_threshold=given.retain_threshold)


async def _view(tenant_id: int, tier: Tier) -> LoyaltyTierType:
    return LoyaltyTierType.of(tier, await require_program(tenant_id))


@strawberry.type
class TierMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_loyalty_tier(self, info: Info, input: LoyaltyTierInput) -> LoyaltyTierPayload:  # noqa: A002
        async def run() -> LoyaltyTierType:
            actor = info.context.require_principal()
            return await _view(actor.tenant_id, await create_tier(actor, _data(input)))
        tier, errors = await attempt(info, run())
        return LoyaltyTierPayload(tier=tier, errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_loyalty_tier(self, info: Info, input: UpdateLoyaltyTierInput  # noqa: A002
                                  ) -> LoyaltyTierPayload:
        async def run() -> LoyaltyTierType:
            actor = info.context.require_principal()
            tier_id = decode_id(input.id, LoyaltyTierType, "id")
            return await _view(actor.tenant_id, await update_tier(actor, tier_id, _data(input.tier)))
        tier, errors = await attempt(info, run())
        return LoyaltyTierPayload(tier=tier, errors=errors)

    @strawberry.mutation(permission_classes=WRITE, description="Its members have no tier until their next review.")
    async def delete_loyalty_tier(self, info: Info, input: DeleteLoyaltyTierInput  # noqa: A002
                                  ) -> DeleteLoyaltyTierPayload:
        async def run() -> strawberry.ID:
            tier_id = decode_id(input.id, LoyaltyTierType, "id")
            await delete_tier(info.context.require_principal(), tier_id)
            return to_global_id(LoyaltyTierType, tier_id)
        deleted, errors = await attempt(info, run())
        return DeleteLoyaltyTierPayload(deleted_id=deleted, errors=errors)
