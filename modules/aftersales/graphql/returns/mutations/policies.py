"""createReturnPolicy, updateReturnPolicy, deleteReturnPolicy (aftersales.settings:write)."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales.graphql.returns.types import ReturnPolicyType, ShippingPayer
from modules.aftersales.services.returns import policies as return_policies

SETTINGS = [Requires("aftersales.settings", "write")]


@strawberry.input(description="Leave country and category empty for the default policy.")
class ReturnPolicyInput:
    name: str
    country: str = strawberry.field(default="", description="ISO 3166-1 alpha-2 destination country.")
    category: str = strawberry.field(default="", description="A product category.")
    window_days: int = 30
    non_returnable_categories: list[str] = strawberry.field(default_factory=list)
    return_shipping_paid_by: ShippingPayer = ShippingPayer.CUSTOMER
    restocking_fee_bp: int = strawberry.field(default=0, description="Basis points: 1500 = 15%.")
    restocking_fee_fixed: Decimal = Decimal(0)
    restocking_fee_currency: str = ""
    stale_shipment_days: int = 7

    def data(self) -> return_policies.PolicyData:
        return return_policies.PolicyData(
            name=self.name, country=self.country, category=self.category, window_days=self.window_days,
            non_returnable_categories=self.non_returnable_categories,
            return_shipping_paid_by=self.return_shipping_paid_by.value, restocking_fee_bp=self.restocking_fee_bp,
            restocking_fee_fixed=self.restocking_fee_fixed, restocking_fee_currency=self.restocking_fee_currency,
            stale_shipment_days=self.stale_shipment_days)


@strawberry.input
class UpdateReturnPolicyInput:
    id: strawberry.ID
    policy: ReturnPolicyInput = strawberry.field(description="Every field; replaces the policy.")


@strawberry.input
class DeleteReturnPolicyInput:
    id: strawberry.ID


@strawberry.type
class ReturnPolicyPayload:
    policy: ReturnPolicyType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteReturnPolicyPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReturnPolicyMutations:
    @strawberry.mutation(permission_classes=SETTINGS)
    async def create_return_policy(self, info: Info, input: ReturnPolicyInput) -> ReturnPolicyPayload:  # noqa: A002
        async def run() -> ReturnPolicyType:
            row = await return_policies.create_policy(info.context.require_principal(), input.data())
            return ReturnPolicyType.from_row(row)
        result, errors = await attempt(info, run())
        return ReturnPolicyPayload(policy=result, errors=errors)

    @strawberry.mutation(permission_classes=SETTINGS)
    async def update_return_policy(self, info: Info, input: UpdateReturnPolicyInput  # noqa: A002
                                   ) -> ReturnPolicyPayload:
        async def run() -> ReturnPolicyType:
            row = await return_policies.update_policy(info.context.require_principal(),
                                                      decode_id(input.id, ReturnPolicyType, "id"), input.policy.data())
            return ReturnPolicyType.from_row(row)
        result, errors = await attempt(info, run())
        return ReturnPolicyPayload(policy=result, errors=errors)

    @strawberry.mutation(permission_classes=SETTINGS)
    async def delete_return_policy(self, info: Info, input: DeleteReturnPolicyInput  # noqa: A002
                                   ) -> DeleteReturnPolicyPayload:
        async def run() -> strawberry.ID:
            await return_policies.delete_policy(info.context.require_principal(),
                                                decode_id(input.id, ReturnPolicyType, "id"))
            return input.id
        result, errors = await attempt(info, run())
        return DeleteReturnPolicyPayload(deleted_id=result, errors=errors)
