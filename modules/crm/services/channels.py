"""Connecting sales channels: a platform, a store name and credentials encrypted at rest.

Credentials are a JSON object (API keys, tokens...). They are stored encrypted
(`SalesChannel.credentials` is an EncryptedTextField), never returned by the API and never written
to the audit log: the log says which keys were set, added, changed or removed, never a value.
"""

from __future__ import annotations

import json
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import CustomerIdentity, Order, SalesChannel
from modules.crm.models.channel import PLATFORMS
from modules.crm.services.customers import UNSET
from modules.crm.services.errors import crm_error
from modules.crm.services.order_numbers import compile_format

MAX_CREDENTIALS_BYTES = 16 * 1024
MAX_NAME = 100


def _credentials(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise crm_error("INVALID_CREDENTIALS", N_("Credentials are a JSON object."), ["credentials"])
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_CREDENTIALS_BYTES:
        raise crm_error("CREDENTIALS_TOO_LARGE", N_("Credentials are at most {max} bytes of JSON."), ["credentials"],
                        max=MAX_CREDENTIALS_BYTES)
    return value


def read_credentials(channel: SalesChannel) -> dict[str, Any]:
    """The decrypted credentials, for the module's own sync code (never for the API)."""
    if not channel.credentials:
        return {}
    value = json.loads(channel.credentials)
    return value if isinstance(value, dict) else {}


def credential_keys(channel: SalesChannel) -> list[str]:
    return sorted(read_credentials(channel))


async def _name(tenant_id: int, name: Any, errors: list[UserFacingError], exclude_id: int | None = None) -> str:
    text = (name or "").strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_NAME:
        errors.append(crm_error("INVALID_NAME", N_("A channel name has 1 to {max} characters."), ["name"],
                                max=MAX_NAME))
        return text
    clash = scoped(SalesChannel, tenant_id).filter(name=text)
    if exclude_id is not None:
        clash = clash.exclude(id=exclude_id)
    if await clash.exists():
        errors.append(_name_taken(text))
    return text


def _name_taken(name: str) -> UserFacingError:
    return crm_error("CHANNEL_NAME_TAKEN", N_("A sales channel named {name} already exists."), ["name"], name=name)


async def get_channel(tenant_id: int, channel_id: int) -> SalesChannel:
    channel = await scoped(SalesChannel, tenant_id).filter(id=channel_id).first()
    if channel is None:
        raise crm_error("NOT_FOUND", N_("No such sales channel."), ["channelId"])
    return channel


def _format(errors: list[UserFacingError], value: Any) -> str:
    """A valid order number format ("" for none), or the error appended."""
    text = "" if value is None else str(value).strip()
    if text:
        try:
            compile_format(text)
        except UserFacingError as exc:
            errors.append(exc)
    return text


async def create_channel(actor: Principal, platform: str, name: str, credentials: Any = None,
                         order_number_format: str | None = None) -> SalesChannel:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    number_format = _format(errors, order_number_format)
    if platform not in PLATFORMS:
        errors.append(crm_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["platform"],
                                choices=", ".join(PLATFORMS)))
    text = await _name(tid, name, errors)
    creds: dict[str, Any] = {}
    if credentials is not None:
        try:
            creds = _credentials(credentials)
        except UserFacingError as exc:
            errors.append(exc)
    if errors:
        raise UserFacingErrors(errors)
    try:
        async with in_transaction():
            channel = await SalesChannel.create(
                tenant_id=tid, platform=platform, name=text, order_number_format=number_format,
                credentials=json.dumps(creds, separators=(",", ":")) if creds else None)
            await audit.record(actor, tid, "channel.create", "SalesChannel", channel.id, None,
                               {"platform": platform, "name": text, "credential_keys": sorted(creds),
                                "order_number_format": number_format})
    except IntegrityError:  # a concurrent create with the same name won the race
        raise _name_taken(text) from None
    return channel


async def update_channel(actor: Principal, channel_id: int, name: Any = UNSET, credentials: Any = UNSET,
                         order_number_format: Any = UNSET) -> SalesChannel:
    """`credentials` replaces the whole object when given (null or {} clears them)."""
    tid = actor.tenant_id
    try:
        async with in_transaction():
            channel = await get_channel(tid, channel_id)
            errors: list[UserFacingError] = []
            before: dict[str, Any] = {"name": channel.name}
            after: dict[str, Any] = {"name": channel.name}
            if name is not UNSET:
                after["name"] = await _name(tid, name, errors, exclude_id=channel.id)
            if order_number_format is not UNSET:
                before["order_number_format"] = channel.order_number_format
                after["order_number_format"] = channel.order_number_format = _format(errors, order_number_format)
            new_creds: dict[str, Any] | None = None
            if credentials is not UNSET:
                try:
                    new_creds = _credentials({} if credentials is None else credentials)
                except UserFacingError as exc:
                    errors.append(exc)
            if errors:
                raise UserFacingErrors(errors)
            channel.name = after["name"]
            if new_creds is not None:
                after["credentials"] = audit.key_changes(read_credentials(channel), new_creds)
                channel.credentials = json.dumps(new_creds, separators=(",", ":")) if new_creds else None  # type: ignore[assignment]
            await channel.save()
            await audit.record(actor, tid, "channel.update", "SalesChannel", channel.id, before, after)
    except IntegrityError:
        raise _name_taken(str(name)) from None
    return channel


async def delete_channel(actor: Principal, channel_id: int) -> int:
    """Refused while orders or customer identities reference the channel."""
    tid = actor.tenant_id
    async with in_transaction():
        channel = await get_channel(tid, channel_id)
        orders = await scoped(Order, tid).filter(channel_id=channel.id).count()
        identities = await scoped(CustomerIdentity, tid).filter(channel_id=channel.id).count()
        if orders or identities:
            raise crm_error("CHANNEL_IN_USE",
                            N_("This channel is still used by {orders} orders and {identities} customer identities."),
                            ["channelId"], orders=orders, identities=identities)
        await scoped(SalesChannel, tid).filter(id=channel.id).delete()
        await audit.record(actor, tid, "channel.delete", "SalesChannel", channel.id,
                           {"platform": channel.platform, "name": channel.name}, None)
    return channel.id
