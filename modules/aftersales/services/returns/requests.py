"""Return requests: created against an order's lines, checked against the tenant's return
policies, then decided by an agent through a state machine.

Quantities: a line can be returned at most as often as it was bought, counting every other request
that is not rejected or cancelled. The check runs in a transaction holding the order row locked
(SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), so two requests racing for the
last item cannot both pass.

Policies: a request whose return window has ended is refused (RETURN_WINDOW_EXPIRED) unless a caller
allowed to edit return settings overrides it; softer findings become a suggestion (approve, review,
reject) with reason codes the agent sees, translated when read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, events
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import ReturnLine, ReturnRequest, Ticket
from modules.aftersales.models.returns import CONDITIONS, REASON_CODES, RETURN_KINDS
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.returns.policies import PolicyBook, Terms
from modules.crm.models import Address, Customer, Order, OrderLine, Product

MAX_LINES = 100
RETURN_CREATED = "aftersales.return_created"
RETURN_STATUS_CHANGED = "aftersales.return_status_changed"
MAX_PHOTOS = 10
MAX_PHOTO_BYTES = 25 * 1024 * 1024
MAX_NOTE = 5000
INACTIVE = ("rejected", "cancelled")  # requests that no longer hold their items
MERCHANT_FAULT = ("damaged", "wrong_item", "not_as_described", "defective")
ALLOWED: dict[str, tuple[str, ...]] = {
    "requested": ("approved", "rejected", "cancelled"),
    "approved": ("received", "cancelled"),
    "received": ("refunded", "exchanged", "repaired", "closed"),
    "refunded": ("closed",),
    "exchanged": ("closed",),
    "repaired": ("closed",),
}

# The reasons behind a suggestion: code -> (suggestion it leads to, English msgid with params).
REASONS: dict[str, tuple[str, str]] = {
    "WITHIN_POLICY": ("approve", N_("Within the {days}-day return window and returnable.")),
    "WINDOW_OVERRIDDEN": ("review", N_("The {days}-day return window ended on {deadline}; an agent overrode it.")),
    "NON_RETURNABLE_CATEGORY": ("reject", N_("{sku} is in the category {category}, which cannot be returned.")),
    "NOT_DELIVERED": ("review", N_("The order has not been delivered yet.")),
    "USED_WITHOUT_FAULT": ("review", N_("{sku} comes back {condition} for a reason that is not a fault.")),
    "FAULT_WITHOUT_PHOTOS": ("review", N_("{sku} is reported faulty without photos.")),
    "OTHER_WITHOUT_NOTE": ("review", N_("{sku} is returned for another reason that is not explained.")),
}


@dataclass
class Photo:
    name: str
    content_type: str
    size: int
    url: str


@dataclass
class LineInput:
    order_line_id: int
    quantity: int
    reason_code: str
    condition: str
    photos: Sequence[Photo] = ()


@dataclass
class ReturnInput:
    order_id: int
    lines: Sequence[LineInput]
    kind: str = "return"
    ticket_id: int | None = None
    note: str = ""
    override_window: bool = False


@dataclass
class Evaluation:
    suggestion: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    expired: list[dict[str, Any]] = field(default_factory=list)


def _check_input(data: ReturnInput) -> None:
    errors: list[UserFacingError] = []
    if data.kind not in RETURN_KINDS:
        errors.append(aftersales_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["kind"],
                                   choices=", ".join(RETURN_KINDS)))
    if len(data.note) > MAX_NOTE:
        errors.append(aftersales_error("NOTE_TOO_LONG", N_("A note has at most {max} characters."), ["note"],
                                   max=MAX_NOTE))
    if not 1 <= len(data.lines) <= MAX_LINES:
        errors.append(aftersales_error("INVALID_LINES", N_("A return has 1 to {max} lines."), ["lines"], max=MAX_LINES))
    seen: set[int] = set()
    for i, line in enumerate(data.lines[:MAX_LINES]):
        path = ["lines", str(i)]
        if line.order_line_id in seen:
            errors.append(aftersales_error("DUPLICATE_LINE", N_("This order line is already in the return."),
                                       [*path, "orderLineId"]))
        seen.add(line.order_line_id)
        if line.quantity <= 0:
            errors.append(aftersales_error("INVALID_QUANTITY", N_("A quantity must be at least 1."),
                                       [*path, "quantity"]))
        if line.reason_code not in REASON_CODES:
            errors.append(aftersales_error("INVALID_CHOICE", N_("Choose one of: {choices}."), [*path, "reasonCode"],
                                       choices=", ".join(REASON_CODES)))
        if line.condition not in CONDITIONS:
            errors.append(aftersales_error("INVALID_CHOICE", N_("Choose one of: {choices}."), [*path, "condition"],
                                       choices=", ".join(CONDITIONS)))
        if len(line.photos) > MAX_PHOTOS:
            errors.append(aftersales_error("TOO_MANY_PHOTOS", N_("At most {max} photos per line."), [*path, "photos"],
                                       max=MAX_PHOTOS))
        for j, photo in enumerate(line.photos[:MAX_PHOTOS]):
            if (not photo.url.startswith(("https://", "http://")) or len(photo.url) > 2000
                    or not photo.content_type.startswith("image/") or not 0 < photo.size <= MAX_PHOTO_BYTES
                    or not 0 < len(photo.name) <= 255):
                errors.append(aftersales_error("INVALID_PHOTO", N_("A photo is an image of up to 25 MB with an http(s) "
                                                               "URL and a name."), [*path, "photos", str(j)]))
    if errors:
        raise UserFacingErrors(errors)


async def returned_quantities(tenant_id: int, order_line_ids: Sequence[int], exclude_request: int | None = None
                              ) -> dict[int, int]:
    """Per order line, how many items active requests already claim."""
    rows = scoped(ReturnLine, tenant_id).filter(order_line_id__in=list(order_line_ids)) \
        .exclude(request__status__in=INACTIVE)
    if exclude_request is not None:
        rows = rows.exclude(request_id=exclude_request)
    claimed: dict[int, int] = defaultdict(int)
    for line_id, quantity in await rows.values_list("order_line_id", "quantity"):
        claimed[int(line_id)] += int(quantity)
    return claimed


async def destination_country(tenant_id: int, customer_id: int | None) -> str | None:
    """Where the goods went: the customer's shipping address, else the customer's country."""
    if customer_id is None:
        return None
    shipping = await scoped(Address, tenant_id).filter(customer_id=customer_id, kind="shipping") \
        .order_by("id").values_list("country", flat=True)
    if shipping:
        return str(shipping[0])
    countries = await scoped(Customer, tenant_id).filter(id=customer_id).values_list("country", flat=True)
    return str(countries[0]) if countries and countries[0] else None


def return_deadline(order: Order, terms: Terms) -> datetime:
    """When the return window of terms ends for an order: counted from delivery, else from placing."""
    return (order.delivered_at or order.placed_at) + timedelta(days=terms.window_days)


async def line_categories(tenant_id: int, order_lines: Iterable[OrderLine]) -> dict[int, str]:
    """Each order line's product category ("" when it has none), by order line id (one query)."""
    lines = list(order_lines)
    product_ids = {ol.product_id for ol in lines if ol.product_id is not None}
    categories = dict(await scoped(Product, tenant_id).filter(id__in=product_ids).values_list("id", "category"))
    return {ol.id: str(categories.get(ol.product_id, "") or "") for ol in lines}


def evaluate(order: Order, lines: Sequence[tuple[LineInput, OrderLine, str]], book: PolicyBook,
             country: str | None, note: str, now: datetime) -> Evaluation:
    """The policy verdict for a request; `lines` pairs each input with its order line and category."""
    result = Evaluation(suggestion="approve")
    widest = 0
    for line, order_line, category in lines:
        terms = book.terms(country, category)
        deadline = return_deadline(order, terms)
        widest = max(widest, terms.window_days)
        params = {"sku": order_line.sku}
        if now > deadline:
            result.expired.append({"days": terms.window_days, "deadline": deadline.date().isoformat()})
        if category and category in terms.non_returnable_categories:
            result.reasons.append({"code": "NON_RETURNABLE_CATEGORY", "params": {**params, "category": category}})
        if line.condition in ("used", "damaged") and line.reason_code not in MERCHANT_FAULT:
            result.reasons.append({"code": "USED_WITHOUT_FAULT", "params": {**params, "condition": line.condition}})
        if line.reason_code in MERCHANT_FAULT and line.reason_code != "wrong_item" and not line.photos:
            result.reasons.append({"code": "FAULT_WITHOUT_PHOTOS", "params": params})
        if line.reason_code == "other" and not note.strip():
            result.reasons.append({"code": "OTHER_WITHOUT_NOTE", "params": params})
    if result.expired:
        result.reasons.insert(0, {"code": "WINDOW_OVERRIDDEN", "params": result.expired[0]})
    if order.delivered_at is None:
        result.reasons.append({"code": "NOT_DELIVERED", "params": {}})
    verdicts = {REASONS[r["code"]][0] for r in result.reasons}
    result.suggestion = "reject" if "reject" in verdicts else "review" if verdicts else "approve"
    if not result.reasons:
        result.reasons.append({"code": "WITHIN_POLICY", "params": {"days": widest}})
    return result


def reason_message(code: str) -> str:
    return REASONS[code][1]


async def get_order(tenant_id: int, order_id: int, lock: bool = False) -> Order:
    """The caller's order; locked for the transaction when `lock` (serialises returns and refunds)."""
    query = scoped(Order, tenant_id).filter(id=order_id)
    order = await (query.select_for_update() if lock else query).first()
    if order is None:
        raise aftersales_error("NOT_FOUND", N_("No such order."), ["orderId"])
    return order


async def create_return(actor: Principal, data: ReturnInput, can_override: bool) -> ReturnRequest:
    """`can_override`: the caller may set `override_window` (it holds aftersales.settings:write)."""
    _check_input(data)
    if data.override_window and not can_override:
        raise aftersales_error("OVERRIDE_NOT_ALLOWED", N_("Only people who edit return settings may override the "
                                                      "return window."), ["override"])
    tid, now = actor.tenant_id, datetime.now(UTC)
    async with in_transaction():
        order = await get_order(tid, data.order_id, lock=True)
        if order.status in ("pending", "cancelled"):
            raise aftersales_error("ORDER_NOT_RETURNABLE", N_("This order was not paid or was cancelled: nothing in it "
                                                          "can be returned."), ["orderId"])
        if data.ticket_id is not None and not await scoped(Ticket, tid).filter(id=data.ticket_id).exists():
            raise aftersales_error("NOT_FOUND", N_("No such ticket."), ["ticketId"])
        order_lines = {ol.id: ol for ol in await scoped(OrderLine, tid).filter(order_id=order.id)}
        errors = [aftersales_error("NOT_IN_ORDER", N_("This line is not part of the order."),
                               ["lines", str(i), "orderLineId"])
                  for i, line in enumerate(data.lines) if line.order_line_id not in order_lines]
        if errors:
            raise UserFacingErrors(errors)
        claimed = await returned_quantities(tid, [line.order_line_id for line in data.lines])
        for i, line in enumerate(data.lines):
            left = order_lines[line.order_line_id].quantity - claimed.get(line.order_line_id, 0)
            if line.quantity > left:
                errors.append(aftersales_error("QUANTITY_EXCEEDS_RETURNABLE",
                                           N_("Only {returnable} of this item can still be returned."),
                                           ["lines", str(i), "quantity"], returnable=max(left, 0)))
        if errors:
            raise UserFacingErrors(errors)
        categories = await line_categories(tid, order_lines.values())
        book = await PolicyBook.load(tid)
        country = await destination_country(tid, order.customer_id)
        lines = [(line, order_lines[line.order_line_id], categories[line.order_line_id]) for line in data.lines]
        verdict = evaluate(order, lines, book, country, data.note, now)
        if verdict.expired and not data.override_window:
            raise aftersales_error("RETURN_WINDOW_EXPIRED", N_("The {days}-day return window ended on {deadline}."),
                               ["orderId"], **verdict.expired[0])
        terms: Terms = book.terms(country, None)
        fault = any(line.reason_code in MERCHANT_FAULT for line in data.lines)
        request = await ReturnRequest.create(
            tenant_id=tid, order_id=order.id, customer_id=order.customer_id, ticket_id=data.ticket_id,
            kind=data.kind, suggestion=verdict.suggestion, suggestion_reasons=verdict.reasons, note=data.note.strip(),
            window_overridden=bool(verdict.expired), created_by_id=actor.user_id,
            return_shipping_paid_by="merchant" if fault else terms.return_shipping_paid_by,
            restocking_fee_bp=terms.restocking_fee_bp,
            restocking_fee_fixed=terms.restocking_fee_fixed if terms.restocking_fee_currency == order.currency else 0)
        for line in data.lines:
            await ReturnLine.create(
                tenant_id=tid, request_id=request.id, order_line_id=line.order_line_id, quantity=line.quantity,
                reason_code=line.reason_code, condition=line.condition,
                photos=[{"name": p.name, "contentType": p.content_type, "size": p.size, "url": p.url}
                        for p in line.photos])
        after = {"order": order.id, "kind": data.kind, "suggestion": verdict.suggestion,
                 "lines": [[line.order_line_id, line.quantity] for line in data.lines],
                 "windowOverridden": bool(verdict.expired)}
        await audit.record(actor, tid, "return.create", "ReturnRequest", request.id, None, after)
        await events.emit(RETURN_CREATED, {"return_id": request.id, "customer_id": request.customer_id,
                                           "ticket_id": request.ticket_id, **after}, tid)
    return request


async def get_return(tenant_id: int, request_id: int, lock: bool = False, path: str = "returnId") -> ReturnRequest:
    query = scoped(ReturnRequest, tenant_id).filter(id=request_id)
    request = await (query.select_for_update() if lock else query).first()
    if request is None:
        raise aftersales_error("NOT_FOUND", N_("No such return."), [path])
    return request


def check_transition(request: ReturnRequest, target: str) -> None:
    if target not in ALLOWED.get(request.status, ()):
        raise aftersales_error("INVALID_TRANSITION", N_("A return that is {current} cannot become {target}."),
                           ["returnId"], current=request.status, target=target)


async def move(actor: Principal, request: ReturnRequest, target: str, reason: str = "") -> None:
    """Change the status inside the caller's transaction (the request row is locked), with an audit entry."""
    check_transition(request, target)
    before = request.status
    request.status = target
    now = datetime.now(UTC)
    if before == "requested":
        request.decided_at = now
    if target == "received":
        request.received_at = now
    if reason:
        request.decision_reason = reason
    await request.save()
    await audit.record(actor, actor.tenant_id, f"return.{target}", "ReturnRequest", request.id,
                       {"status": before}, {"status": target, **({"reason": reason} if reason else {})})
    await events.emit(RETURN_STATUS_CHANGED,
                      {"return_id": request.id, "from": before, "to": target}, actor.tenant_id)


async def transition(actor: Principal, request_id: int, target: str, reason: str = "") -> ReturnRequest:
    """approve / reject (needs a reason) / receive / cancel / close."""
    reason = reason.strip()
    if target == "rejected" and not reason:
        raise aftersales_error("REASON_REQUIRED", N_("Say why the return is rejected."), ["reason"])
    if len(reason) > MAX_NOTE:
        raise aftersales_error("NOTE_TOO_LONG", N_("A note has at most {max} characters."), ["reason"], max=MAX_NOTE)
    async with in_transaction():
        request = await get_return(actor.tenant_id, request_id, lock=True)
        await move(actor, request, target, reason)
    return request
