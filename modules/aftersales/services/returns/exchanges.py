"""Exchanges: a received return is answered with replacement lines to ship.

Without explicit lines every returned line is replaced like for like; a line may name another SKU
of the tenant (another size or colour) and fewer items than were returned, never more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import ExchangeLine, ReturnLine, ReturnRequest
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.returns.requests import check_transition, get_return, move
from modules.crm.models import OrderLine, Product


@dataclass
class ReplacementInput:
    return_line_id: int
    sku: str | None = None
    quantity: int | None = None


async def create_exchange(actor: Principal, request_id: int, replacements: Sequence[ReplacementInput] | None
                          ) -> ReturnRequest:
    tid = actor.tenant_id
    async with in_transaction():
        request = await get_return(tid, request_id, lock=True)
        check_transition(request, "exchanged")
        returned = {r.id: r for r in await scoped(ReturnLine, tid).filter(request_id=request.id)}
        order_lines = {o.id: o for o in await scoped(OrderLine, tid)
                       .filter(id__in=[r.order_line_id for r in returned.values()])}
        wanted = replacements or [ReplacementInput(return_line_id=r) for r in returned]
        skus = {w.sku.strip() for w in wanted if w.sku and w.sku.strip()}
        products = {p.sku: p for p in await scoped(Product, tid).filter(sku__in=skus)}
        errors: list[UserFacingError] = []
        rows: list[ExchangeLine] = []
        for i, want in enumerate(wanted):
            path = ["lines", str(i)]
            line = returned.get(want.return_line_id)
            if line is None:
                errors.append(aftersales_error("NOT_IN_RETURN", N_("This line is not part of the return."),
                                           [*path, "returnLineId"]))
                continue
            quantity = line.quantity if want.quantity is None else want.quantity
            if not 0 < quantity <= line.quantity:
                errors.append(aftersales_error("INVALID_QUANTITY_RANGE", N_("A quantity is between 1 and {max}."),
                                           [*path, "quantity"], max=line.quantity))
            original = order_lines[line.order_line_id]
            sku = (want.sku or "").strip() or original.sku
            product = products.get(sku)
            if sku != original.sku and product is None:
                errors.append(aftersales_error("NOT_FOUND", N_("No product has the SKU {sku}."), [*path, "sku"],
                                               sku=sku))
            rows.append(ExchangeLine(
                tenant_id=tid, request_id=request.id, return_line_id=line.id,
                product_id=product.id if product else original.product_id, sku=sku,
                name=product.name if product else original.name, quantity=quantity))
        if errors:
            raise UserFacingErrors(errors)
        for row in rows:
            await row.save()
        await move(actor, request, "exchanged")
    return request
