"""The return portal's mutations: startReturn (prove an order is yours, get a token for it) and
requestReturn (through aftersales' own create_return: the same checks, quantities and suggestion
as the staff API's createReturn, recorded as the system acting through the portal)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from core.errors import UserError, UserFacingError, UserFacingErrors
from core.graphql.mutations import attempt
from core.i18n import N_
from modules.aftersales.services import LineInput, Photo, ReturnInput, create_return, returns_of_order
from modules.crm.services import find_buyer_order
from modules.portal import throttle, tokens
from modules.portal.context import PortalContext
from modules.portal.errors import portal_error
from modules.portal.graphql.ids import parse_id
from modules.portal.graphql.returns import ReturnView, Token, buyer_order

log = logging.getLogger("sellercare.portal")
NO_MATCH = N_("We found no order with this number and this e-mail address or phone number.")
MAX_NUMBER = 64


@strawberry.input
class StartReturnInput:
    order_number: str = strawberry.field(description="As on the order confirmation (`#` or not).")
    email: str | None = strawberry.field(default=None, description="The e-mail address the order was placed with.")
    phone: str | None = strawberry.field(default=None, description="Or its phone number (E.164, or as dialled in "
                                                                   "the shop's country).")


@strawberry.type
class StartReturnPayload:
    token: str | None = strawberry.field(default=None, description="Opens this order for 30 minutes.")
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class PortalPhotoInput:
    name: str
    content_type: str
    size: int = strawberry.field(description="Bytes, at most 25 MB.")
    url: str = strawberry.field(description="Where the storefront uploaded it (http or https).")


@strawberry.input
class RequestReturnLineInput:
    order_line_id: strawberry.ID = strawberry.field(description="order.lines.id")
    quantity: int
    reason_code: str = strawberry.field(description="damaged, wrong_item, not_as_described, no_longer_needed, "
                                                    "size_fit, defective or other.")
    condition: str = strawberry.field(description="new, opened, used or damaged.")
    photos: list[PortalPhotoInput] = strawberry.field(default_factory=list)


@strawberry.input
class RequestReturnInput:
    lines: list[RequestReturnLineInput]
    kind: str = strawberry.field(default="return", description="return, exchange or repair.")
    note: str = strawberry.field(default="", description="Anything the buyer wants to add (needed for `other`).")


@strawberry.type
class RequestReturnPayload:
    return_request: ReturnView | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _check_start(input: StartReturnInput) -> None:  # noqa: A002
    errors: list[UserFacingError] = []
    if not 0 < len(input.order_number.strip()) <= MAX_NUMBER:
        errors.append(portal_error("INVALID_NUMBER", N_("An order number has 1 to {max} characters."),
                                   ["orderNumber"], max=MAX_NUMBER))
    if bool((input.email or "").strip()) == bool((input.phone or "").strip()):
        errors.append(portal_error("CONTACT_REQUIRED", N_("Give either the e-mail address or the phone number."),
                                   ["email"]))
    if errors:
        raise UserFacingErrors(errors)


async def _start(ctx: PortalContext, input: StartReturnInput) -> tuple[str, datetime]:  # noqa: A002
    _check_start(input)
    if wait := await throttle.start_wait(ctx.shop.id, ctx.client_ip, input.order_number):
        raise portal_error("TOO_MANY_ATTEMPTS", N_("Too many attempts: try again in {minutes} minutes."),
                           ["orderNumber"], minutes=-(-wait // 60))
    found = await find_buyer_order(ctx.shop.id, input.order_number.strip(), email=(input.email or "").strip() or None,
                                   phone=(input.phone or "").strip() or None, region=ctx.shop.region)
    if found is None:  # a wrong e-mail and an unknown order alike: nobody learns which numbers exist
        raise portal_error("NOT_FOUND", NO_MATCH, ["orderNumber"])
    expires = int(time.time()) + tokens.TTL
    token = tokens.issue(ctx.rt.settings.secret_key, ctx.shop.id, found.customer_id, found.order_id, expires)
    return token, datetime.fromtimestamp(expires, UTC)


def _lines(input: RequestReturnInput) -> list[LineInput]:  # noqa: A002
    errors: list[UserFacingError] = []
    lines = []
    for i, line in enumerate(input.lines):
        try:
            line_id = parse_id(line.order_line_id, ["lines", str(i), "orderLineId"])
        except UserFacingError as exc:
            errors.append(exc)
            continue
        lines.append(LineInput(order_line_id=line_id, quantity=line.quantity, reason_code=line.reason_code.lower(),
                               condition=line.condition.lower(),
                               photos=[Photo(name=p.name, content_type=p.content_type, size=p.size, url=p.url)
                                       for p in line.photos]))
    if errors:
        raise UserFacingErrors(errors)
    return lines


def _refused(ctx: PortalContext, operation: str, errors: list[UserError]) -> None:
    """What the log keeps of a refusal: the shop and the codes, never what the buyer typed."""
    if errors:
        log.info("portal %s refused: tenant=%s codes=%s", operation, ctx.shop.id, ",".join(e.code for e in errors))


@strawberry.type(name="Mutation")
class PortalMutation:
    @strawberry.mutation(description=(
        "Prove an order is yours with its number and the e-mail address (or phone number) it was placed with: "
        "the answer is a token that opens this order for 30 minutes. A wrong pair and an unknown order get the same "
        "NOT_FOUND; a few attempts per address and per order number, then TOO_MANY_ATTEMPTS."))
    async def start_return(self, info: Info, input: StartReturnInput) -> StartReturnPayload:  # noqa: A002
        result, errors = await attempt(info, _start(info.context, input))
        _refused(info.context, "startReturn", errors)
        return StartReturnPayload(token=result[0], expires_at=result[1]) if result else \
            StartReturnPayload(errors=errors)

    @strawberry.mutation(description=(
        "Ask to return items of the token's order: the seller's checks apply (quantities left, the return window, "
        "valid reasons, conditions and photos); the request then waits for the seller's decision."))
    async def request_return(self, info: Info, input: RequestReturnInput,  # noqa: A002
                             token: Token = None) -> RequestReturnPayload:
        ctx: PortalContext = info.context
        buyer, _ = await buyer_order(info, token)

        async def run() -> ReturnView:
            data = ReturnInput(order_id=buyer.order_id, lines=_lines(input), kind=input.kind.lower(), note=input.note)
            row = await create_return(ctx.actor, data, can_override=False)
            tracked = next(r for r in await returns_of_order(ctx.shop.id, buyer.order_id) if r.request.id == row.id)
            return ReturnView.of(tracked)

        result, errors = await attempt(info, run())
        _refused(ctx, "requestReturn", errors)
        return RequestReturnPayload(return_request=result, errors=errors)
