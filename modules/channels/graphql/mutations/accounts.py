"""createChannel and updateChannel: credentials go in, never out; the inbound token is shown once."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.channels.graphql.types import ChannelAcceptFrom, ChannelAccountType
from modules.channels.models import ChannelAccount
from modules.channels.services import AccountInput, create_account, update_account
from modules.channels.services.accounts import UNSET

WRITE: list[type[BasePermission]] = [Requires("channels.account", "write")]
CREDENTIALS = ("A JSON object of the kind's credentials (e-mail: smtp_host, smtp_port, smtp_security, "
               "smtp_username, smtp_password; to read the mailbox over IMAP, also imap_host, imap_port, "
               "imap_security, imap_username, imap_password, imap_folder; whatsapp: phone_number_id, "
               "access_token, app_secret, verify_token), stored encrypted and never returned.")


@strawberry.input
class CreateChannelInput:
    kind: str = strawberry.field(description="email, whatsapp, web_form (or a kind a module adds).")
    name: str
    address: str = strawberry.field(description="The mailbox replies are sent from, or the WhatsApp business "
                                                "number (E.164, +4915112345678).")
    reply_to: str | None = None
    credentials: JSON | None = strawberry.field(default=None, description=CREDENTIALS)
    enabled: bool = True
    accept_from: ChannelAcceptFrom = ChannelAcceptFrom.ANYONE


@strawberry.input(description="Omitted fields are left as they are. Credentials are merged into the stored "
                              "ones: a key set to null is removed.")
class UpdateChannelInput:
    channel_id: strawberry.ID
    name: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    reply_to: str | None = strawberry.UNSET
    credentials: JSON | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET
    accept_from: ChannelAcceptFrom | None = strawberry.UNSET
    rotate_inbound_token: bool = strawberry.field(default=False, description="A new token; the old one stops working.")


@strawberry.type
class ChannelPayload:
    channel: ChannelAccountType | None = None
    inbound_token: str | None = strawberry.field(
        default=None, description="The token the provider sends (X-Channel-Token): shown once, when made "
                                  "(null for WhatsApp, whose webhooks Meta signs).")
    errors: list[UserError] = strawberry.field(default_factory=list)


def _given(value: Any) -> Any:
    return UNSET if value is strawberry.UNSET else value


def _payload(result: tuple[tuple[ChannelAccount, str | None] | None, list[UserError]]) -> ChannelPayload:
    value, errors = result
    if value is None:
        return ChannelPayload(errors=errors)
    return ChannelPayload(channel=ChannelAccountType.from_row(value[0]), inbound_token=value[1])


@strawberry.type
class ChannelMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_channel(self, info: Info, input: CreateChannelInput) -> ChannelPayload:  # noqa: A002
        data = AccountInput(name=input.name, address=input.address, reply_to=input.reply_to,
                            credentials=input.credentials, enabled=input.enabled,
                            accept_from=input.accept_from.value)

        async def run() -> tuple[ChannelAccount, str | None]:
            return await create_account(info.context.require_principal(), input.kind, data)
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE, description="Also switches the channel on or off (enabled).")
    async def update_channel(self, info: Info, input: UpdateChannelInput) -> ChannelPayload:  # noqa: A002
        async def run() -> tuple[ChannelAccount, str | None]:
            data = AccountInput(name=_given(input.name), address=_given(input.address),
                                reply_to=_given(input.reply_to), credentials=_given(input.credentials),
                                enabled=UNSET if input.enabled in (None, strawberry.UNSET) else input.enabled,
                                accept_from=UNSET if input.accept_from in (None, strawberry.UNSET)
                                else input.accept_from.value)
            return await update_account(info.context.require_principal(),
                                        decode_id(input.channel_id, ChannelAccountType, "channelId"), data,
                                        rotate_token=input.rotate_inbound_token)
        return _payload(await attempt(info, run()))
