"""createSalesChannel, updateSalesChannel, deleteSalesChannel. Credentials go in, never out."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import Platform, SalesChannelType
from modules.crm.models import SalesChannel
from modules.crm.services import channels
from modules.crm.services.customers import UNSET

WRITE: list[type[BasePermission]] = [Requires("crm.channel", "write")]
ORDER_NUMBER_FORMAT = ("How this channel's order numbers look, so that a buyer's mail quoting one is linked to "
                       "the order: {n} is n digits, {n-m} n to m, the rest literal (SO-{6}). Empty: none.")


@strawberry.input
class CreateSalesChannelInput:
    platform: Platform
    name: str
    credentials: JSON | None = strawberry.field(
        default=None, description="A JSON object (at most 16 KB), stored encrypted and never returned.")
    order_number_format: str | None = strawberry.field(default=None, description=ORDER_NUMBER_FORMAT)


@strawberry.input(description="Omitted fields are left as they are; credentials replace the stored object.")
class UpdateSalesChannelInput:
    channel_id: strawberry.ID
    name: str | None = strawberry.UNSET
    credentials: JSON | None = strawberry.UNSET
    order_number_format: str | None = strawberry.field(default=strawberry.UNSET, description=ORDER_NUMBER_FORMAT)


@strawberry.input
class DeleteSalesChannelInput:
    channel_id: strawberry.ID


@strawberry.type
class SalesChannelPayload:
    channel: SalesChannelType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSalesChannelPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(result: tuple[SalesChannel | None, list[UserError]]) -> SalesChannelPayload:
    row, errors = result
    return SalesChannelPayload(channel=SalesChannelType.from_row(row) if row else None, errors=errors)


def _given(value: object) -> object:
    return UNSET if value is strawberry.UNSET else value


@strawberry.type
class ChannelMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_sales_channel(self, info: Info, input: CreateSalesChannelInput  # noqa: A002
                                   ) -> SalesChannelPayload:
        return _payload(await attempt(info, channels.create_channel(
            info.context.require_principal(), input.platform.value, input.name, input.credentials,
            input.order_number_format)))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_sales_channel(self, info: Info, input: UpdateSalesChannelInput  # noqa: A002
                                   ) -> SalesChannelPayload:
        async def run() -> SalesChannel:
            return await channels.update_channel(
                info.context.require_principal(), decode_id(input.channel_id, SalesChannelType, "channelId"),
                name=_given(input.name), credentials=_given(input.credentials),
                order_number_format=_given(input.order_number_format))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_sales_channel(self, info: Info, input: DeleteSalesChannelInput  # noqa: A002
                                   ) -> DeleteSalesChannelPayload:
        async def run() -> int:
            return await channels.delete_channel(
                info.context.require_principal(), decode_id(input.channel_id, SalesChannelType, "channelId"))
        pk, errors = await attempt(info, run())
        return DeleteSalesChannelPayload(deleted_id=to_global_id(SalesChannelType, pk) if pk else None, errors=errors)
