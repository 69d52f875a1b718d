"""The channel interface: what a module implements so that messages of one kind (e-mail, LINE,
Telegram...) come in as tickets and replies go out, with no core edit.

A module lists its kinds in `Module.channels` ("package.module:attr", a sequence of `ChannelKind`).
The `channels` module owns accounts, the inbound pipeline (raw message stored first, dedupe,
threading, sender matching, ticket) and the outbound delivery states; a kind only translates:
`parse` turns the raw bytes a provider sends into one `Inbound`, `send` delivers one `Outbound`
and says how it went. Runtime.start collects the installed modules' kinds (`install`), so the API
and the workers find them by name (`kind`).

Optional parts, for providers that need them: `check_reply` (a channel that refuses free-form
replies at times: WhatsApp's 24-hour window; the module owning accounts answers `check_reply`
below through `install_reply_gate`), templates, media references and delivery receipts on an
`Inbound`, and a provider id that only the provider's answer gives (`Sent.provider_id`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from core.errors import UserFacingError
from core.registry import Module, RegistryError

CredentialType = Literal["string", "integer", "boolean"]
AddressType = Literal["email", "phone"]
ReceiptState = Literal["sent", "delivered", "read", "failed"]


@dataclass(frozen=True)
class CredentialField:
    """One credential an account of this kind needs; `label` is an English msgid of the module.
    `choices` restricts a string; `default` fills what was not given."""

    name: str
    type: CredentialType = "string"
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    label: str = ""


@dataclass(frozen=True)
class Account:
    """What a kind sees of one account: its addresses and its decrypted credentials. Never log it."""

    tenant_id: int
    name: str
    address: str
    reply_to: str | None
    credentials: Mapping[str, Any] = field(repr=False)  # a log line of an Account shows no secret


@dataclass(frozen=True)
class InboundFile:
    """A file that came with a message, as the sender named it; its type is read from the bytes
    when it is stored (core.storage.kinds), never taken from `claimed_type`."""

    name: str = field(repr=False)
    claimed_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class MediaRef:
    """A file the provider holds for a message (WhatsApp: a media id to download with the token):
    kept as a reference, its bytes fetched later through the storage interface."""

    kind: str  # image, document, audio, video, sticker
    media_id: str
    mime_type: str = ""
    sha256: str = ""
    filename: str = field(default="", repr=False)
    caption: str = field(default="", repr=False)


@dataclass(frozen=True)
class Receipt:
    """A provider's report on one of our outbound messages. `provider_id` is the id the provider
    gave it; `ref` the id we sent it under, echoed back (found even when the provider's id was
    never recorded). `error` is a code (whatsapp_131026), never content."""

    provider_id: str
    state: ReceiptState
    ref: str | None = None
    error: str | None = None
    response: str | None = None


@dataclass(frozen=True)
class Inbound:
    """One message as the provider sent it, normalised. `provider_id` dedupes retries (e-mail:
    Message-ID); `thread_ids` are the provider ids it answers, newest last (In-Reply-To,
    References); `automated` names why no person wrote it (auto_reply, list, bounce, receipt),
    else None. `conversation_id` (a chat's user or thread id) threads onto the open ticket of the
    same conversation on the same account; `sender_type` says how `sender` finds its customer."""

    provider_id: str | None
    sender: str = field(repr=False)  # contact data and content stay out of reprs (and so of logs)
    sender_name: str = field(repr=False)
    subject: str = field(repr=False)
    body: str = field(repr=False)
    thread_ids: tuple[str, ...] = ()
    automated: str | None = None
    bounced_ids: tuple[str, ...] = ()  # a bounce: the provider ids of the messages that failed
    language: str | None = None  # what the sender said they write in (a form's choice), else detected
    order_number: str | None = field(default=None, repr=False)  # linked when it is the sender's order
    files: tuple[InboundFile, ...] = field(default=(), repr=False)  # kept through core.storage
    conversation_id: str | None = field(default=None, repr=False)  # a WhatsApp wa_id is a phone number
    sender_type: AddressType = "email"
    media: tuple[MediaRef, ...] = ()
    receipts: tuple[Receipt, ...] = ()  # automated "receipt": delivery reports on our messages


@dataclass(frozen=True)
class Outbound:
    """One reply to deliver. `provider_id` is chosen before the first attempt and kept for every
    retry (e-mail: Message-ID), so a message sent twice after a crash is recognisable as one."""

    to: str = field(repr=False)
    to_name: str = field(repr=False)
    subject: str = field(repr=False)
    body: str = field(repr=False)
    provider_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    language: str = ""
    template: Template | None = None  # send this pre-approved template instead of `body`


@dataclass(frozen=True)
class Template:
    """A message template the provider approved beforehand (WhatsApp: the only thing that may go
    out after the 24-hour window), by name and language, with its body's parameters in order."""

    name: str
    language: str
    parameters: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Sent:
    """The provider took the message: its answer (an SMTP reply line, an API's message id).
    `provider_id` replaces the id chosen before sending when only the provider names it (a wamid)."""

    response: str
    provider_id: str | None = None


@dataclass(frozen=True)
class ReplyContext:
    """What a kind's `check_reply` is told about the conversation a free-form reply would go to."""

    last_inbound_at: datetime | None  # the customer's last message on it (None: never wrote)
    now: datetime


class ParseError(Exception):
    """Raw bytes that are not a message of this kind; `code` is stored for admins, no content."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class DeliveryError(Exception):
    """A send that did not go through; `code` (an SMTP status, "connection_refused") is stored and
    shown, so it must never hold a secret or the message."""

    permanent = False

    def __init__(self, code: str, response: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.response = response

    @property
    def public_code(self) -> str:
        """What the outbox records of a failed attempt (core.events), shown to the agent."""
        return self.code


class TemporaryFailure(DeliveryError):
    """Try again later (SMTP 4xx, connection refused, timeout): the outbox retries with back-off."""


class PermanentFailure(DeliveryError):
    """Never going through as it is (SMTP 5xx, bad credentials): the delivery is failed."""

    permanent = True


@dataclass(frozen=True)
class ChannelKind:
    """A kind of channel. `name` is unique across modules ("email", "line"); `ticket_channel` is the
    aftersales ticket channel its tickets get ("email", "chat", "whatsapp"...); `new_provider_id`
    returns the id an outbound message is sent under, chosen once and stored before sending.
    `replies_by` names another kind that answers its conversations when it cannot send itself (a
    web form's buyer left an e-mail address: replies go out through the tenant's mailbox).
    `sender_limit` (messages, seconds) caps what one sender may open on one account in a window:
    past it, messages are kept as ignored (`loop`), the guard against auto-responders that answer
    every answer.
    `address` is what an account's address is (a mailbox, or a phone number). `check_reply`
    returns the error that refuses a free-form reply now (None: it may go), before it is stored.
    `templates`: `send` takes an `Outbound.template` (sendTicketTemplate). `inbound_token` False:
    the kind's own routes authenticate its webhook (a signature), the token route refuses it.
    `fetch_media(account, ref, max_bytes)` downloads the bytes of a message's `media` (raising
    TemporaryFailure or PermanentFailure as `send` does): they are then kept as its attachments."""

    name: str
    label: str
    ticket_channel: str
    credentials: Sequence[CredentialField]
    parse: Callable[[bytes], Inbound]
    send: Callable[[Account, Outbound], Awaitable[Sent]]
    new_provider_id: Callable[[Account], str]
    replies_by: str | None = None
    sender_limit: tuple[int, int] | None = None
    address: AddressType = "email"
    check_reply: Callable[[Account, ReplyContext], UserFacingError | None] | None = None
    templates: bool = False
    inbound_token: bool = True
    fetch_media: Callable[[Account, MediaRef, int], Awaitable[bytes]] | None = None
    module: str = field(default="", compare=False)


ReplyGate = Callable[[int, int, str], Awaitable[None]]
_kinds: dict[str, ChannelKind] = {}
_reply_gates: list[ReplyGate] = []


def collect(modules: Iterable[Module]) -> dict[str, ChannelKind]:
    """Every installed module's kinds by name; a name two modules define is an error naming both."""
    found: dict[str, ChannelKind] = {}
    for module in modules:
        for kind in module.load_channels():
            if kind.name in found:
                raise RegistryError(f"channel kind {kind.name!r} is defined by both "
                                    f"{found[kind.name].module!r} and {module.name!r}")
            found[kind.name] = replace(kind, module=module.name)
    return found


def install(kinds: Mapping[str, ChannelKind]) -> None:
    """Make these the process's kinds (Runtime.start; tests add a kind of their own the same way)."""
    _kinds.clear()
    _kinds.update(kinds)


def kind(name: str) -> ChannelKind | None:
    return _kinds.get(name)


def kinds() -> list[ChannelKind]:
    return sorted(_kinds.values(), key=lambda k: k.name)


def install_reply_gate(gate: ReplyGate) -> None:
    """The module that owns channel accounts answers `check_reply` (its start-up hook installs it)."""
    if gate not in _reply_gates:
        _reply_gates.append(gate)


async def check_reply(tenant_id: int, ticket_id: int, ticket_channel: str) -> None:
    """Raise the UserFacingError of a kind's `check_reply` when a free-form reply on this ticket may
    not go out now. aftersales asks before it stores a reply, so nothing is queued in vain."""
    for gate in _reply_gates:
        await gate(tenant_id, ticket_id, ticket_channel)
