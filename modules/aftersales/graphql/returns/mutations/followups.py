"""What follows a received return besides a refund: an exchange (replacement lines) or a repair."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales.graphql.returns.mutations.requests import ReturnPayload, plain_id
from modules.aftersales.graphql.returns.types import RepairStatus, RepairType, ReturnRequestType
from modules.aftersales.services.returns import exchanges, repairs

WRITE = [Requires("aftersales.return", "write")]


@strawberry.input
class ReplacementInput:
    return_line_id: strawberry.ID = strawberry.field(description="ReturnRequest.lines.id")
    sku: str | None = strawberry.field(default=None, description="Another product of yours; default the same.")
    quantity: int | None = strawberry.field(default=None, description="Default: as many as were returned.")


@strawberry.input
class ExchangeReturnInput:
    return_id: strawberry.ID
    lines: list[ReplacementInput] | None = strawberry.field(default=None, description=(
        "Omit to replace every returned line like for like."))


@strawberry.input
class StartRepairInput:
    return_id: strawberry.ID
    note: str = ""


@strawberry.input
class AdvanceRepairInput:
    repair_id: strawberry.ID
    status: RepairStatus
    note: str = ""


@strawberry.type
class RepairPayload:
    repair: RepairType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReturnFollowUpMutations:
    @strawberry.mutation(permission_classes=WRITE, description="received -> exchanged, with replacement lines.")
    async def exchange_return(self, info: Info, input: ExchangeReturnInput) -> ReturnPayload:  # noqa: A002
        async def run() -> ReturnRequestType:
            wanted = None if input.lines is None else [
                exchanges.ReplacementInput(return_line_id=plain_id(line.return_line_id, ["lines", str(i),
                                                                                          "returnLineId"]),
                                           sku=line.sku, quantity=line.quantity)
                for i, line in enumerate(input.lines)]
            row = await exchanges.create_exchange(info.context.require_principal(),
                                                  decode_id(input.return_id, ReturnRequestType, "returnId"), wanted)
            return ReturnRequestType.from_row(row)
        result, errors = await attempt(info, run())
        return ReturnPayload(return_request=result, errors=errors)

    @strawberry.mutation(permission_classes=WRITE, description="Start tracking the repair of a received return.")
    async def start_repair(self, info: Info, input: StartRepairInput) -> RepairPayload:  # noqa: A002
        async def run() -> RepairType:
            row = await repairs.start_repair(info.context.require_principal(),
                                             decode_id(input.return_id, ReturnRequestType, "returnId"), input.note)
            return RepairType.from_row(row)
        result, errors = await attempt(info, run())
        return RepairPayload(repair=result, errors=errors)

    @strawberry.mutation(permission_classes=WRITE, description=(
        "received -> diagnosing -> repairing -> repaired -> returned_to_customer; unrepairable from any step before "
        "repaired. Back with the customer, the return becomes repaired (or closed if unrepairable)."))
    async def advance_repair(self, info: Info, input: AdvanceRepairInput) -> RepairPayload:  # noqa: A002
        async def run() -> RepairType:
            row = await repairs.advance_repair(info.context.require_principal(),
                                               decode_id(input.repair_id, RepairType, "repairId"),
                                               input.status.value, input.note)
            return RepairType.from_row(row)
        result, errors = await attempt(info, run())
        return RepairPayload(repair=result, errors=errors)
