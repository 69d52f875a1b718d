"""Data-subject requests: exportCustomerData (everything held, unmasked) and eraseCustomer."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import UserError, UserFacingError, UserFacingErrors
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import CustomerType
from modules.crm.services import privacy


@strawberry.input
class CustomerDataInput:
    customer_id: strawberry.ID


@strawberry.input
class EraseCustomerInput:
    customer_id: strawberry.ID
    confirm: bool = strawberry.field(default=False, description="Must be true: erasure cannot be undone.")


@strawberry.type
class CustomerDataPayload:
    data: JSON | None = strawberry.field(default=None, description="Profile, contacts, addresses, identities, "
                                                                   "orders with lines, tags and notes.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EraseCustomerPayload:
    customer: CustomerType | None = strawberry.field(default=None, description="What is left: an anonymised "
                                                                               "record its orders still point to.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(permission_classes=[Requires("crm.customer", "read"), Requires("crm.customer.pii", "read")],
                         description="Data-subject access: everything held on one customer, as JSON.")
    async def export_customer_data(self, info: Info, input: CustomerDataInput) -> CustomerDataPayload:  # noqa: A002
        async def run() -> dict[str, Any]:
            principal = info.context.require_principal()
            document = await privacy.customer_data(principal, decode_id(input.customer_id, CustomerType, "customerId"))
            document["customer"]["id"] = to_global_id(CustomerType, document["customer"]["id"])
            return document
        data, errors = await attempt(info, run())
        return CustomerDataPayload(data=data, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(permission_classes=[Requires("crm.customer", "erase")],
                         description="Erase a customer's personal data on request; orders are kept, anonymised.")
    async def erase_customer(self, info: Info, input: EraseCustomerInput) -> EraseCustomerPayload:  # noqa: A002
        async def run() -> CustomerType:
            try:
                customer_id = decode_id(input.customer_id, CustomerType, "customerId")
            except UserFacingError as exc:  # report a missing confirmation too, in one answer
                raise UserFacingErrors([exc, *([] if input.confirm else [privacy.confirmation_required()])]) from None
            return CustomerType.from_row(await privacy.erase_customer(
                info.context.require_principal(), customer_id, input.confirm))
        customer, errors = await attempt(info, run())
        return EraseCustomerPayload(customer=customer, errors=errors)
