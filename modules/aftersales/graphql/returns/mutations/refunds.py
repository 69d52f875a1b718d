"""createRefund (aftersales.refund:write): exact money in the order's currency."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales.graphql.returns.types import RefundType, ReturnRequestType
from modules.aftersales.services.returns import refunds
from modules.crm.graphql.types import OrderType


@strawberry.input
class CreateRefundInput:
    order_id: strawberry.ID
    reason: str
    amount: Decimal | None = strawberry.field(default=None, description=(
        "In the order's currency, with at most its decimals (10.00 EUR, 1500 JPY). Omit with full: true."))
    full: bool = strawberry.field(default=False, description="Refund everything still refundable.")
    return_id: strawberry.ID | None = None
    apply_restocking_fee: bool = strawberry.field(default=False, description=(
        "Keep the return policy's restocking fee: it lowers what may be refunded. Needs returnId."))


@strawberry.type
class RefundPayload:
    refund: RefundType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RefundMutations:
    @strawberry.mutation(permission_classes=[Requires("aftersales.refund", "write")], description=(
        "Never more than the order's total minus refunds that did not fail, minus the restocking fee when applied. "
        "Emits aftersales.refund_created for the payment connector."))
    async def create_refund(self, info: Info, input: CreateRefundInput) -> RefundPayload:  # noqa: A002
        async def run() -> RefundType:
            data = refunds.RefundInput(
                order_id=decode_id(input.order_id, OrderType, "orderId"), reason=input.reason, amount=input.amount,
                full=input.full, apply_restocking_fee=input.apply_restocking_fee,
                return_id=decode_id(input.return_id, ReturnRequestType, "returnId") if input.return_id else None)
            return RefundType.from_row(await refunds.create_refund(info.context.require_principal(), data))
        result, errors = await attempt(info, run())
        return RefundPayload(refund=result, errors=errors)
