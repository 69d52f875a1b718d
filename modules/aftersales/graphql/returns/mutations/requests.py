"""createReturn and the agent's decisions on a return (approve, reject, receive, cancel, close)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from core.i18n import N_
from modules.aftersales.graphql.returns.types import ItemCondition, ReturnKind, ReturnReason, ReturnRequestType
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.returns import requests as returns
from modules.crm.graphql.types import OrderType

WRITE = [Requires("aftersales.return", "write")]


def plain_id(value: strawberry.ID, path: list[str]) -> int:
    """A plain (non-global) id such as an order line's or a return line's."""
    text = str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise aftersales_error("INVALID_ID", N_("This is not a line id."), path)
    return int(text)


@strawberry.input
class ReturnPhotoInput:
    name: str
    content_type: str
    size: int = strawberry.field(description="Bytes, at most 25 MB.")
    url: str


@strawberry.input
class ReturnLineInput:
    order_line_id: strawberry.ID = strawberry.field(description="Order.lines.id")
    quantity: int
    reason_code: ReturnReason
    condition: ItemCondition
    photos: list[ReturnPhotoInput] = strawberry.field(default_factory=list)


@strawberry.input
class CreateReturnInput:
    order_id: strawberry.ID
    lines: list[ReturnLineInput]
    kind: ReturnKind = ReturnKind.RETURN
    ticket_id: strawberry.ID | None = None
    note: str = ""
    override: bool = strawberry.field(default=False, description=(
        "Accept the request although its return window has ended (it is then suggested for review). Needs "
        "aftersales.settings:write; without it, or without override, a late request fails with "
        "RETURN_WINDOW_EXPIRED."))


@strawberry.input
class ReturnDecisionInput:
    return_id: strawberry.ID
    reason: str = strawberry.field(default="", description="Required to reject; kept with the decision.")


@strawberry.type
class ReturnPayload:
    return_request: ReturnRequestType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _decide(info: Info, input: ReturnDecisionInput, target: str) -> ReturnPayload:  # noqa: A002
    async def run() -> ReturnRequestType:
        request_id = decode_id(input.return_id, ReturnRequestType, "returnId")
        row = await returns.transition(info.context.require_principal(), request_id, target, input.reason)
        return ReturnRequestType.from_row(row)
    result, errors = await attempt(info, run())
    return ReturnPayload(return_request=result, errors=errors)


@strawberry.type
class ReturnMutations:
    @strawberry.mutation(permission_classes=WRITE, description=(
        "Checked against the return policies: the request stores a suggestion (approve, review, reject) and its "
        "reasons; quantities never exceed what was bought minus what other open requests claim."))
    async def create_return(self, info: Info, input: CreateReturnInput) -> ReturnPayload:  # noqa: A002
        async def run() -> ReturnRequestType:
            ctx = info.context
            principal = ctx.require_principal()
            data = returns.ReturnInput(
                order_id=decode_id(input.order_id, OrderType, "orderId"),
                ticket_id=decode_id(input.ticket_id, TicketType, "ticketId") if input.ticket_id else None,
                kind=input.kind.value, note=input.note, override_window=input.override,
                lines=[returns.LineInput(
                    order_line_id=plain_id(line.order_line_id, ["lines", str(i), "orderLineId"]),
                    quantity=line.quantity, reason_code=line.reason_code.value, condition=line.condition.value,
                    photos=[returns.Photo(name=p.name, content_type=p.content_type, size=p.size, url=p.url)
                            for p in line.photos]) for i, line in enumerate(input.lines)])
            can_override = input.override and await ctx.rt.access.allowed(
                principal.user_id, principal.tenant_id, "aftersales.settings", "write")
            return ReturnRequestType.from_row(await returns.create_return(principal, data, can_override))
        result, errors = await attempt(info, run())
        return ReturnPayload(return_request=result, errors=errors)

    @strawberry.mutation(permission_classes=WRITE, description="requested -> approved")
    async def approve_return(self, info: Info, input: ReturnDecisionInput) -> ReturnPayload:  # noqa: A002
        return await _decide(info, input, "approved")

    @strawberry.mutation(permission_classes=WRITE, description="requested -> rejected; needs a reason.")
    async def reject_return(self, info: Info, input: ReturnDecisionInput) -> ReturnPayload:  # noqa: A002
        return await _decide(info, input, "rejected")

    @strawberry.mutation(permission_classes=WRITE, description="approved -> received: the items arrived.")
    async def receive_return(self, info: Info, input: ReturnDecisionInput) -> ReturnPayload:  # noqa: A002
        return await _decide(info, input, "received")

    @strawberry.mutation(permission_classes=WRITE, description="requested or approved -> cancelled")
    async def cancel_return(self, info: Info, input: ReturnDecisionInput) -> ReturnPayload:  # noqa: A002
        return await _decide(info, input, "cancelled")

    @strawberry.mutation(permission_classes=WRITE, description="received, refunded, exchanged or repaired -> closed")
    async def close_return(self, info: Info, input: ReturnDecisionInput) -> ReturnPayload:  # noqa: A002
        return await _decide(info, input, "closed")
