"""addCustomerAddress, updateCustomerAddress, removeCustomerAddress."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import CustomerType, PostalAddress
from modules.crm.models import Address
from modules.crm.services import addresses
from modules.crm.services.addresses import AddressData
from modules.crm.services.customers import UNSET

WRITE: list[type[BasePermission]] = [Requires("crm.customer", "write")]


@strawberry.input(description="Omitted fields are left as they are (on update).")
class AddressInput:
    kind: str | None = strawberry.field(default=strawberry.UNSET, description='"shipping" (default) or "billing".')
    name: str | None = strawberry.UNSET
    line1: str | None = strawberry.field(default=strawberry.UNSET, description="Required on add.")
    line2: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    country: str | None = strawberry.field(default=strawberry.UNSET, description="ISO 3166-1 alpha-2; required on add.")
    is_default: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: the customer's default of this kind (the previous one stops being "
        "it). The first address of a kind is the default; to change it, make another one the default.")


@strawberry.input
class AddCustomerAddressInput:
    customer_id: strawberry.ID
    address: AddressInput


@strawberry.input
class UpdateCustomerAddressInput:
    address_id: strawberry.ID
    address: AddressInput


@strawberry.input
class RemoveCustomerAddressInput:
    address_id: strawberry.ID


@strawberry.type
class AddressPayload:
    address: PostalAddress | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveAddressPayload:
    removed_id: strawberry.ID | None = None
    customer: CustomerType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _data(value: AddressInput) -> AddressData:
    given = {name: getattr(value, name) for name in AddressData.__dataclass_fields__ if name != "given"}
    return AddressData(**{k: (UNSET if v is strawberry.UNSET else v) for k, v in given.items()})


def _payload(result: tuple[Address | None, list[UserError]]) -> AddressPayload:
    row, errors = result
    return AddressPayload(address=PostalAddress.from_row(row) if row else None, errors=errors)


@strawberry.type
class AddressMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def add_customer_address(self, info: Info, input: AddCustomerAddressInput  # noqa: A002
                                   ) -> AddressPayload:
        async def run() -> Address:
            return await addresses.add_address(info.context.require_principal(),
                                               decode_id(input.customer_id, CustomerType, "customerId"),
                                               _data(input.address))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_customer_address(self, info: Info, input: UpdateCustomerAddressInput  # noqa: A002
                                      ) -> AddressPayload:
        async def run() -> Address:
            return await addresses.update_address(info.context.require_principal(),
                                                  decode_id(input.address_id, PostalAddress, "addressId"),
                                                  _data(input.address))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def remove_customer_address(self, info: Info, input: RemoveCustomerAddressInput  # noqa: A002
                                      ) -> RemoveAddressPayload:
        async def run() -> Address:
            return await addresses.remove_address(info.context.require_principal(),
                                                  decode_id(input.address_id, PostalAddress, "addressId"))
        row, errors = await attempt(info, run())
        if row is None:
            return RemoveAddressPayload(errors=errors)
        customer = await CustomerType.scope(row.tenant_id).filter(id=row.customer_id).first()
        return RemoveAddressPayload(removed_id=to_global_id(PostalAddress, row.id),
                                    customer=CustomerType.from_row(customer) if customer else None)
