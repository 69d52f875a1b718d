"""Custom field definitions: customFields, createCustomField, updateCustomField, deleteCustomField."""

from __future__ import annotations

from enum import Enum
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import ScopedNode, decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.crm import models
from modules.crm.services import custom_fields
from modules.crm.services.custom_fields import UNSET

SETTINGS = [Requires("crm.settings", "write")]


@strawberry.enum
class CustomFieldKind(Enum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


@strawberry.type(name="CustomField", description="A typed field of this tenant's customers; values live in "
                                                 "Customer.customFields under `key`.")
class CustomFieldType(ScopedNode):
    id: relay.NodeID[int]
    key: str
    label: str
    type: CustomFieldKind
    choices: list[str]
    required: bool
    read_permission = ("crm.customer", "read")
    model = models.CustomField

    @classmethod
    def from_row(cls, row: models.CustomField) -> Self:
        return cls(id=row.id, key=row.key, label=row.label, type=CustomFieldKind(row.type),
                   choices=list(row.choices or []), required=row.required)


@strawberry.input
class CreateCustomFieldInput:
    key: str = strawberry.field(description="snake_case, unique in the tenant; never changes.")
    label: str
    type: CustomFieldKind = strawberry.field(description="Never changes.")
    choices: list[str] | None = strawberry.field(default=None, description="For CHOICE fields only.")
    required: bool = False


@strawberry.input(description="Omitted fields are left as they are; key and type never change.")
class UpdateCustomFieldInput:
    id: strawberry.ID
    label: str | None = strawberry.UNSET
    choices: list[str] | None = strawberry.UNSET
    required: bool | None = strawberry.UNSET


@strawberry.input
class DeleteCustomFieldInput:
    id: strawberry.ID
    force: bool = strawberry.field(default=False, description="Also remove the values customers hold.")


@strawberry.type
class CustomFieldPayload:
    custom_field: CustomFieldType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteCustomFieldPayload:
    deleted_id: strawberry.ID | None = None
    values_removed: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


def _given(value: Any) -> Any:
    return UNSET if value is strawberry.UNSET else value


@strawberry.type
class CustomFieldQuery:
    @strawberry.field(permission_classes=[Requires("crm.customer", "read")],
                      description=f"All of the account's custom fields, by key: a plain list, as an account has at "
                                  f"most {custom_fields.MAX_FIELDS}.")
    async def custom_fields(self, info: Info) -> list[CustomFieldType]:
        rows = await custom_fields.definitions(info.context.tenant_id)
        return [CustomFieldType.from_row(r) for r in rows.values()]


@strawberry.type
class CustomFieldMutations:
    @strawberry.mutation(permission_classes=SETTINGS)
    async def create_custom_field(self, info: Info, input: CreateCustomFieldInput) -> CustomFieldPayload:  # noqa: A002
        row, errors = await attempt(info, custom_fields.create_field(
            info.context.require_principal(), input.key.strip(), input.label, input.type.value, input.choices,
            input.required))
        return CustomFieldPayload(custom_field=CustomFieldType.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(permission_classes=SETTINGS)
    async def update_custom_field(self, info: Info, input: UpdateCustomFieldInput) -> CustomFieldPayload:  # noqa: A002
        async def run() -> models.CustomField:
            return await custom_fields.update_field(
                info.context.require_principal(), decode_id(input.id, CustomFieldType, "id"),
                label=_given(input.label), choices=_given(input.choices), required=_given(input.required))
        row, errors = await attempt(info, run())
        return CustomFieldPayload(custom_field=CustomFieldType.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(permission_classes=SETTINGS, description="Refused while customers hold values (unless "
                                                                  "force) or a segment uses the field.")
    async def delete_custom_field(self, info: Info, input: DeleteCustomFieldInput) -> DeleteCustomFieldPayload:  # noqa: A002
        async def run() -> int:
            pk = decode_id(input.id, CustomFieldType, "id")
            return await custom_fields.delete_field(info.context.require_principal(), pk, input.force)
        removed, errors = await attempt(info, run())
        if errors:
            return DeleteCustomFieldPayload(errors=errors)
        return DeleteCustomFieldPayload(deleted_id=to_global_id(CustomFieldType, int(
            decode_id(input.id, CustomFieldType, "id"))), values_removed=removed or 0)
