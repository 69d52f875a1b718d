"""Channel accounts: create, change, switch on and off; credentials in, never out.

Every change is audited with the account's plain fields and the names of the credentials that
changed, never a value. The inbound token is returned once, when made (create, or rotate).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import audit, validation
from core import channels as kinds
from core.auth.principal import Principal
from core.channels import Account, ChannelKind
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.channels.models import ChannelAccount
from modules.channels.models.account import ACCEPT_FROM
from modules.channels.services import credentials, tokens
from modules.channels.services.errors import channels_error

UNSET: Any = object()
MAX_NAME = 100
AUDITED = ("kind", "name", "address", "reply_to", "enabled", "accept_from")


@dataclass
class AccountInput:
    """What a create or update sets; UNSET leaves a field as it is (update)."""

    name: Any = UNSET
    address: Any = UNSET
    reply_to: Any = UNSET
    credentials: Any = UNSET
    enabled: Any = UNSET
    accept_from: Any = UNSET


def kind_of(name: str, path: str = "kind") -> ChannelKind:
    found = kinds.kind(name)
    if found is None:
        raise channels_error("UNKNOWN_KIND", N_("No such kind of channel: choose one of {kinds}."), [path],
                             kinds=", ".join(k.name for k in kinds.kinds()))
    return found


def config(account: ChannelAccount) -> Account:
    """What the kind's code sees of an account (decrypted credentials: never log it)."""
    return Account(tenant_id=account.tenant_id, name=account.name, address=account.address,
                   reply_to=account.reply_to, credentials=credentials.read(account))


async def get_account(tenant_id: int, account_id: int, *, lock: bool = False) -> ChannelAccount:
    qs = scoped(ChannelAccount, tenant_id).filter(id=account_id)
    row = await (qs.select_for_update() if lock else qs).first()
    if row is None:
        raise channels_error("NOT_FOUND", N_("No such channel."), ["channelId"])
    return row


def _snapshot(account: ChannelAccount) -> dict[str, Any]:
    return {name: getattr(account, name) for name in AUDITED}


def _address(kind: ChannelKind) -> Any:
    """The check of an account's address: a mailbox, or a phone number in E.164 (WhatsApp)."""
    return validation.phone if kind.address == "phone" else validation.email


def _apply(errors: list[UserFacingError], kind: ChannelKind, account: ChannelAccount, data: AccountInput) -> None:
    if data.name is not UNSET:
        name = " ".join(str(data.name or "").split())
        if not name or len(name) > MAX_NAME:
            errors.append(channels_error("INVALID_NAME", N_("A channel name has 1 to {max} characters."), ["name"],
                                         max=MAX_NAME))
        account.name = name
    if data.address is not UNSET:
        account.address = validation.collect(errors, _address(kind), str(data.address or ""),
                                             field=["address"]) or ""
    if data.reply_to is not UNSET:
        account.reply_to = (validation.collect(errors, validation.email, str(data.reply_to), ["replyTo"])
                            if data.reply_to else None)
    if data.enabled is not UNSET:
        account.enabled = bool(data.enabled)
    if data.accept_from is not UNSET:
        if data.accept_from not in ACCEPT_FROM:
            errors.append(channels_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["acceptFrom"],
                                         choices=", ".join(ACCEPT_FROM)))
        else:
            account.accept_from = str(data.accept_from)


async def _save(account: ChannelAccount) -> None:
    try:
        await account.save()
    except IntegrityError:
        raise channels_error("NAME_TAKEN", N_("Another channel already has this name."), ["name"]) from None


async def create_account(actor: Principal, kind_name: str, data: AccountInput) -> tuple[ChannelAccount, str | None]:
    """The new account and its inbound token (shown this once; None for a kind that signs its
    webhooks instead)."""
    kind = kind_of(kind_name)
    errors: list[UserFacingError] = []
    token, token_hash = tokens.new_token()
    account = ChannelAccount(tenant_id=actor.tenant_id, public_id=uuid.uuid4(), kind=kind.name,
                             inbound_token_hash=token_hash, name="", address="")
    _apply(errors, kind, account, AccountInput(**{"name": "", "address": "", **{
        k: v for k, v in data.__dict__.items() if v is not UNSET}}))
    values = credentials.merge(errors, kind, {}, None if data.credentials is UNSET else data.credentials)
    if errors:
        raise UserFacingErrors(errors)
    account.credentials = _dumps(values)  # type: ignore[assignment]  # NULL when none
    async with in_transaction():
        await _save(account)
        await audit.record(actor, actor.tenant_id, "channel.create", "ChannelAccount", account.id, None,
                           {**_snapshot(account), "credentials": sorted(values)})
    return account, token if kind.inbound_token else None


async def update_account(actor: Principal, account_id: int, data: AccountInput, *,
                         rotate_token: bool = False) -> tuple[ChannelAccount, str | None]:
    """The changed account, and its new inbound token when `rotate_token` (the old one stops working)."""
    async with in_transaction():
        account = await get_account(actor.tenant_id, account_id, lock=True)
        kind = kind_of(account.kind, "channelId")
        before, secrets_before = _snapshot(account), credentials.read(account)
        errors: list[UserFacingError] = []
        _apply(errors, kind, account, data)
        values = secrets_before if data.credentials is UNSET else credentials.merge(
            errors, kind, secrets_before, data.credentials)
        if errors:
            raise UserFacingErrors(errors)
        account.credentials = _dumps(values)  # type: ignore[assignment]  # NULL when none
        token = None
        if rotate_token and kind.inbound_token:
            token, account.inbound_token_hash = tokens.new_token()
        await _save(account)
        after: dict[str, Any] = _snapshot(account)
        if values != secrets_before:
            after["credentials"] = audit.key_changes(secrets_before, values)
        if token is not None:
            after["inbound_token"] = "rotated"  # noqa: S105 - that it changed, never the token
        await audit.record(actor, actor.tenant_id, "channel.update", "ChannelAccount", account.id, before, after)
    return account, token


async def record_health(account_id: int, error: str | None) -> None:
    """The last success, or the last error's code, of an account (never a secret or a customer's data)."""
    now = datetime.now(UTC)
    values = {"last_ok_at": now} if error is None else {"last_error_at": now, "last_error": error[:64]}
    await ChannelAccount.filter(id=account_id).update(**values)


def _dumps(values: dict[str, Any]) -> str | None:
    return json.dumps(values, separators=(",", ":"), sort_keys=True) if values else None
