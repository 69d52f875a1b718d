"""createCustomer, updateCustomer, addCustomerNote."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import CustomerType, NoteType
from modules.crm.services import customers
from modules.crm.services.customers import UNSET, CustomerData

WRITE: list[type[BasePermission]] = [Requires("crm.customer", "write")]


@strawberry.input(description="Omitted fields are left as they are (on update).")
class CustomerInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    emails: list[str] | None = strawberry.field(default=strawberry.UNSET, description="The first is primary.")
    phones: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Any format; read with the customer's country; stored E.164.")
    country: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    birthday: date | None = strawberry.UNSET
    marketing_consent: bool | None = strawberry.UNSET
    consent_source: str | None = strawberry.UNSET
    tier: str | None = strawberry.UNSET
    stage: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.input
class UpdateCustomerInput:
    customer_id: strawberry.ID
    customer: CustomerInput


@strawberry.input
class AddCustomerNoteInput:
    customer_id: strawberry.ID
    body: str


@strawberry.type
class CustomerPayload:
    customer: CustomerType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotePayload:
    note: NoteType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _data(value: CustomerInput) -> CustomerData:
    given = {name: getattr(value, name) for name in CustomerData.__dataclass_fields__ if name != "given"}
    return CustomerData(**{k: (UNSET if v is strawberry.UNSET else v) for k, v in given.items()})


def _customer(result: tuple[object, list[UserError]]) -> CustomerPayload:
    row, errors = result
    return CustomerPayload(customer=CustomerType.from_row(row) if row else None,  # type: ignore[arg-type]
                           errors=errors)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_customer(self, info: Info, input: CustomerInput) -> CustomerPayload:  # noqa: A002
        return _customer(await attempt(info, customers.create_customer(
            info.context.require_principal(), _data(input))))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:  # noqa: A002
        async def run():
            return await customers.update_customer(
                info.context.require_principal(), decode_id(input.customer_id, CustomerType, "customerId"),
                _data(input.customer))
        return _customer(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def add_customer_note(self, info: Info, input: AddCustomerNoteInput) -> NotePayload:  # noqa: A002
        async def run() -> NoteType:
            note = await customers.add_note(info.context.require_principal(),
                                            decode_id(input.customer_id, CustomerType, "customerId"), input.body)
            return NoteType.from_row(note)
        note, errors = await attempt(info, run())
        return NotePayload(note=note, errors=errors)
