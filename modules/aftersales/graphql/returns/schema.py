"""The aftersales GraphQL part for returns: the returns list, return policies, the mutations, and
Order.returns / Order.refunds / Order.refundableAmount added to crm's Order type."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import ClientError, UserFacingError
from core.graphql.money import Money
from core.graphql.node import decode_id
from core.graphql.pagination import Connection, Ordering, page_size, paginate
from core.graphql.permissions import Requires, check
from core.registry import GraphQLContribution
from core.tenancy import scoped
from modules.aftersales import models
from modules.aftersales.graphql.returns import loaders
from modules.aftersales.graphql.returns.mutations.followups import ReturnFollowUpMutations
from modules.aftersales.graphql.returns.mutations.policies import ReturnPolicyMutations
from modules.aftersales.graphql.returns.mutations.refunds import RefundMutations
from modules.aftersales.graphql.returns.mutations.requests import ReturnMutations
from modules.aftersales.graphql.returns.mutations.shipments import ShipmentMutations
from modules.aftersales.graphql.returns.types import (
    RefundType,
    RepairType,
    ReturnPolicyType,
    ReturnRequestType,
    ReturnShipmentType,
    ReturnStatus,
    ReturnSuggestion,
)
from modules.aftersales.services.returns.refunds import refundable_amount
from modules.crm.graphql.types import CustomerType, OrderType

READ = [Requires("aftersales.return", "read")]


@strawberry.input(description="All conditions must hold; a list matches any of its values.")
class ReturnFilterInput:
    statuses: list[ReturnStatus] | None = None
    suggestions: list[ReturnSuggestion] | None = None
    order_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None


def _filtered(info: Info, f: ReturnFilterInput | None) -> object:
    query = scoped(models.ReturnRequest, info.context.tenant_id)
    if f is None:
        return query
    try:
        if f.order_id is not None:
            query = query.filter(order_id=decode_id(f.order_id, OrderType, "orderId"))
        if f.customer_id is not None:
            query = query.filter(customer_id=decode_id(f.customer_id, CustomerType, "customerId"))
    except UserFacingError as exc:
        raise ClientError(exc.code, exc.message, info.context.locale, exc.domain, **exc.params) from None
    if f.statuses:
        query = query.filter(status__in=[s.value for s in f.statuses])
    if f.suggestions:
        query = query.filter(suggestion__in=[s.value for s in f.suggestions])
    return query


@strawberry.type
class ReturnsQuery:
    @strawberry.field(permission_classes=READ, description="Newest first.")
    async def returns(self, info: Info, first: int | None = None, after: str | None = None,
                      filter: ReturnFilterInput | None = None) -> Connection[ReturnRequestType]:  # noqa: A002
        s = info.context.rt.settings
        return await paginate(
            _filtered(info, filter),  # type: ignore[arg-type]
            first=page_size(first, s.default_page_size, s.max_page_size, info.context.locale), after=after,
            ordering=Ordering("created_at", descending=True), to_node=ReturnRequestType.from_row,
            locale=info.context.locale)

    @strawberry.field(permission_classes=READ)
    async def return_request(self, info: Info, id: strawberry.ID) -> ReturnRequestType | None:  # noqa: A002
        try:
            pk = decode_id(id, ReturnRequestType, "id")
        except UserFacingError:
            return None
        (node,) = await ReturnRequestType.resolve_nodes(info=info, node_ids=[str(pk)])
        return node

    @strawberry.field(permission_classes=READ, description="The default policy first, then overrides.")
    async def return_policies(self, info: Info) -> list[ReturnPolicyType]:
        rows = await scoped(models.ReturnPolicy, info.context.tenant_id) \
            .order_by("country", "category", "id").limit(1000)
        return [ReturnPolicyType.from_row(r) for r in rows]


@strawberry.type
class OrderReturnFields:
    """Added to crm's Order: its returns and refunds (aftersales.return:read)."""

    @strawberry.field(description="Oldest first. Needs aftersales.return:read.")
    async def returns(self, info: Info) -> list[ReturnRequestType] | None:
        order: OrderType = self  # type: ignore[assignment]
        return [ReturnRequestType.from_row(r) for r in await loaders.returns_of_order(info).load(order.id)]

    @strawberry.field(description="Oldest first. Needs aftersales.return:read.")
    async def refunds(self, info: Info) -> list[RefundType] | None:
        order: OrderType = self  # type: ignore[assignment]
        return [RefundType.from_row(r) for r in await loaders.refunds_of_order(info).load(order.id)]

    @strawberry.field(description="What was paid (nothing for an order never paid) minus refunds that did not "
                                  "fail. Needs aftersales.return:read.")
    async def refundable_amount(self, info: Info) -> Money | None:
        order: OrderType = self  # type: ignore[assignment]
        await check(info, "aftersales.return", "read")
        given = sum(r.amount for r in await loaders.refunds_of_order(info).load(order.id) if r.status != "failed")
        return Money.of(refundable_amount(order.row, given), order.row.currency, info.context.format_locale)


contribution = GraphQLContribution(
    queries=[ReturnsQuery],
    mutations=[ReturnMutations, ReturnPolicyMutations, RefundMutations, ReturnFollowUpMutations, ShipmentMutations],
    types=[ReturnRequestType, ReturnPolicyType, RefundType, ReturnShipmentType, RepairType],
    extends={"Order": [OrderReturnFields]},
)
