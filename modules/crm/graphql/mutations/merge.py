"""mergeCustomers and unmergeCustomers.

A merge is not a Node: its ID is an opaque global ID ("CustomerMerge:<pk>") returned by
mergeCustomers and taken by unmergeCustomers, always looked up in the caller's tenant.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info

from core.errors import UserError, UserFacingError, UserFacingErrors
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from core.i18n import N_
from modules.crm.graphql.types import CustomerType
from modules.crm.models import CustomerMerge
from modules.crm.services import merge as service

MERGE_TYPE = "CustomerMerge"


def merge_gid(pk: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(MERGE_TYPE, str(pk))))


def decode_merge_id(value: strawberry.ID | str, field: str) -> int:
    try:
        gid: relay.GlobalID | None = relay.GlobalID.from_id(str(value))
    except GlobalIDValueError:
        gid = None
    if gid is None or gid.type_name != MERGE_TYPE or not gid.node_id.isdigit():
        raise UserFacingError("INVALID_ID", N_("This is not an ID of type {type}."), field=[field],
                              params={"type": MERGE_TYPE})
    return int(gid.node_id)


def _decode_many(values: list[strawberry.ID], field: str) -> list[int]:
    """Every ID of the list, with one error per bad one (its index in the field path)."""
    ids, errors = [], []
    for i, value in enumerate(values):
        try:
            ids.append(decode_id(value, CustomerType, field))
        except UserFacingError as exc:
            exc.field = [field, str(i)]
            errors.append(exc)
    if errors:
        raise UserFacingErrors(errors)
    return ids


@strawberry.type(name="CustomerMerge", description="One merge: undo it with unmergeCustomers.")
class CustomerMergeType:
    read_permission = ("crm.customer", "read")  # reached only through a customer or a merge payload
    id: strawberry.ID
    target: CustomerType
    sources: list[CustomerType]
    created_at: datetime
    undone_at: datetime | None


async def _merge_type(info: Info, merge: CustomerMerge) -> CustomerMergeType:
    ids = [str(merge.target_id), *(str(s) for s in merge.source_ids)]
    target, *sources = await CustomerType.resolve_nodes(info=info, node_ids=ids)
    assert target is not None
    return CustomerMergeType(id=merge_gid(merge.id), target=target, sources=[s for s in sources if s],
                             created_at=merge.created_at, undone_at=merge.undone_at)


@strawberry.input
class MergeCustomersInput:
    target_id: strawberry.ID = strawberry.field(description="The customer that stays.")
    source_ids: list[strawberry.ID] = strawberry.field(
        description=f"Customers merged into the target (1 to {service.MAX_SOURCES}).")


@strawberry.input
class UnmergeCustomersInput:
    merge_id: strawberry.ID


@strawberry.type
class MergeCustomersPayload:
    customer: CustomerType | None = strawberry.field(default=None, description="The target, with everything.")
    merge: CustomerMergeType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnmergeCustomersPayload:
    merge: CustomerMergeType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MergeMutations:
    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")],
                         description="Move the sources' identities, orders, addresses, notes, tags and contacts to "
                                     "the target, all or nothing; the sources then point at it (mergedInto).")
    async def merge_customers(self, info: Info, input: MergeCustomersInput) -> MergeCustomersPayload:  # noqa: A002
        async def run() -> tuple[CustomerMerge, CustomerType]:
            errors: list[UserFacingError] = []
            target_id = source_ids = None
            try:
                target_id = decode_id(input.target_id, CustomerType, "targetId")
            except UserFacingError as exc:
                errors.append(exc)
            try:
                source_ids = _decode_many(input.source_ids, "sourceIds")
            except UserFacingErrors as exc:
                errors += exc.errors
            if errors or target_id is None or source_ids is None:
                raise UserFacingErrors(errors)
            merge, target = await service.merge_customers(info.context.require_principal(), target_id, source_ids)
            return merge, CustomerType.from_row(target)

        result, errors = await attempt(info, run())
        if result is None:
            return MergeCustomersPayload(errors=errors)
        merge, customer = result
        return MergeCustomersPayload(customer=customer, merge=await _merge_type(info, merge))

    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")],
                         description="Undo a merge: the rows it moved go back, the sources are customers again. "
                                     "Orders the target got since stay with it.")
    async def unmerge_customers(self, info: Info, input: UnmergeCustomersInput) -> UnmergeCustomersPayload:  # noqa: A002
        async def run() -> CustomerMerge:
            merge, _ = await service.unmerge_customers(info.context.require_principal(),
                                                       decode_merge_id(input.merge_id, "mergeId"))
            return merge

        merge, errors = await attempt(info, run())
        return UnmergeCustomersPayload(merge=await _merge_type(info, merge) if merge else None, errors=errors)
