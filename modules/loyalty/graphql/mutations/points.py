"""adjustPoints (with a reason, audited), redeemPoints, confirmRedemption and releaseRedemption."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import CustomerType
from modules.loyalty.graphql.types import LoyaltyEntryType, RedemptionType
from modules.loyalty.services import adjust_points, confirm_redemption, release_redemption, reserve_points

REDEEM = [Requires("loyalty.redemption", "write")]


@strawberry.input(description="Positive gives points (a lot of their own), negative takes usable ones.")
class AdjustPointsInput:
    customer_id: strawberry.ID
    points: int
    reason: str


@strawberry.input(description="Reserve points: confirm them with the reward's code, or release them.")
class RedeemPointsInput:
    customer_id: strawberry.ID
    points: int


@strawberry.input
class ConfirmRedemptionInput:
    id: strawberry.ID
    code: str | None = strawberry.field(default=None, description="The code the seller made by hand.")


@strawberry.input
class ReleaseRedemptionInput:
    id: strawberry.ID


@strawberry.type
class AdjustPointsPayload:
    entry: LoyaltyEntryType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RedemptionPayload:
    redemption: RedemptionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PointsMutations:
    @strawberry.mutation(permission_classes=[Requires("loyalty.points", "write")])
    async def adjust_points(self, info: Info, input: AdjustPointsInput) -> AdjustPointsPayload:  # noqa: A002
        async def run() -> LoyaltyEntryType:
            customer_id = decode_id(input.customer_id, CustomerType, "customerId")
            entry = await adjust_points(info.context.require_principal(), customer_id, input.points, input.reason)
            return LoyaltyEntryType.from_row(entry)
        entry, errors = await attempt(info, run())
        return AdjustPointsPayload(entry=entry, errors=errors)

    @strawberry.mutation(permission_classes=REDEEM)
    async def redeem_points(self, info: Info, input: RedeemPointsInput) -> RedemptionPayload:  # noqa: A002
        async def run() -> RedemptionType:
            customer_id = decode_id(input.customer_id, CustomerType, "customerId")
            return RedemptionType.from_row(await reserve_points(info.context.require_principal(), customer_id,
                                                                input.points))
        redemption, errors = await attempt(info, run())
        return RedemptionPayload(redemption=redemption, errors=errors)

    @strawberry.mutation(permission_classes=REDEEM)
    async def confirm_redemption(self, info: Info, input: ConfirmRedemptionInput  # noqa: A002
                                 ) -> RedemptionPayload:
        async def run() -> RedemptionType:
            pk = decode_id(input.id, RedemptionType, "id")
            return RedemptionType.from_row(await confirm_redemption(info.context.require_principal(), pk, input.code))
        redemption, errors = await attempt(info, run())
        return RedemptionPayload(redemption=redemption, errors=errors)

    @strawberry.mutation(permission_classes=REDEEM, description="The points go back to the lots they came from.")
    async def release_redemption(self, info: Info, input: ReleaseRedemptionInput  # noqa: A002
                                 ) -> RedemptionPayload:
        async def run() -> RedemptionType:
            pk = decode_id(input.id, RedemptionType, "id")
            return RedemptionType.from_row(await release_redemption(info.context.require_principal(), pk))
        redemption, errors = await attempt(info, run())
        return RedemptionPayload(redemption=redemption, errors=errors)
