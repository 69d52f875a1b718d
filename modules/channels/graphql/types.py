"""GraphQL types of the channels module: accounts (credentials never out, only which are set),
what they received, and the delivery state of a reply."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.graphql.node import ScopedNode
from core.models import OutboxEvent
from modules.channels import form, models
from modules.channels.form import KIND as WEB_FORM
from modules.channels.graphql import dataloaders
from modules.channels.services import credentials


@strawberry.enum(description="queued: waiting for its (next) attempt; sent: the provider took it; delivered, "
                             "read: the provider's receipts (WhatsApp); failed: it will not go (see error); "
                             "bounced: the recipient's server returned it.")
class DeliveryState(Enum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    BOUNCED = "bounced"


@strawberry.enum
class InboundStatus(Enum):
    RECEIVED = "received"
    TICKET_CREATED = "ticket_created"
    THREADED = "threaded"
    IGNORED = "ignored"
    FAILED = "failed"


@strawberry.enum(description="Whose messages open tickets on a channel.")
class ChannelAcceptFrom(Enum):
    ANYONE = "anyone"
    KNOWN_CUSTOMERS = "known_customers"  # an unknown sender's message is kept for admins, opens nothing


@strawberry.type(description="The account's last success and last error (a code, never a secret).")
class ChannelHealth:
    last_ok_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None


@strawberry.type(name="ChannelAccount")
class ChannelAccountType(ScopedNode):
    id: relay.NodeID[int]
    kind: str
    name: str
    address: str = strawberry.field(description="The mailbox (the From of replies), or the WhatsApp number.")
    reply_to: str | None
    enabled: bool
    accept_from: ChannelAcceptFrom
    inbound_path: str = strawberry.field(description="Where the provider posts raw messages (with the token; "
                                                     "WhatsApp: the callback URL, signed by Meta).")
    form_path: str | None = strawberry.field(description=(
        "A web contact form's public path: GET it for the form's token, POST the submission (null for other kinds)."))
    credentials_set: list[str] = strawberry.field(description="The names of the stored credentials, never values.")
    health: ChannelHealth
    created_at: datetime
    read_permission = ("channels.account", "read")
    model = models.ChannelAccount

    @classmethod
    def from_row(cls, row: models.ChannelAccount) -> Self:
        return cls(id=row.id, kind=row.kind, name=row.name, address=row.address, reply_to=row.reply_to,
                   enabled=row.enabled, accept_from=ChannelAcceptFrom(row.accept_from),
                   inbound_path=f"/channels/{row.kind}/{row.public_id}/inbound",
                   form_path=form.path(row.public_id) if row.kind == WEB_FORM else None,
                   credentials_set=credentials.set_names(row),
                   health=ChannelHealth(last_ok_at=row.last_ok_at, last_error_at=row.last_error_at,
                                        last_error=row.last_error),
                   created_at=row.created_at)


@strawberry.type(name="ChannelInboundMessage", description="A message a channel received, as it was handled.")
class InboundMessageType:
    read_permission = ("channels.account", "read")
    id: strawberry.ID
    status: InboundStatus
    error: str | None = strawberry.field(description="failed: why (a code); ignored: auto_reply, list, bounce, "
                                                     "receipt (a delivery report) or system.")
    size: int
    received_at: datetime
    ticket_id: strawberry.ID | None = strawberry.field(description="The ticket it opened or joined (global ID).")

    @classmethod
    def from_row(cls, row: models.InboundMessage) -> Self:
        ticket = str(relay.GlobalID("Ticket", str(row.ticket_id))) if row.ticket_id else None
        return cls(id=strawberry.ID(str(row.id)), status=InboundStatus(row.status), error=row.error, size=row.size,
                   received_at=row.received_at, ticket_id=strawberry.ID(ticket) if ticket else None)


@strawberry.type(name="MessageDelivery", description="How a reply went out over its ticket's channel.")
class DeliveryType:
    read_permission = ("aftersales.ticket", "read")
    state: DeliveryState
    provider_message_id: str | None = strawberry.field(
        description="e-mail: the Message-ID it was sent under; WhatsApp: the wamid Meta gave it.")
    response: str | None = strawberry.field(description="The provider's answer (an SMTP reply line).")
    error: str | None = strawberry.field(description="A code: smtp_550, whatsapp_131026, no_recipient...")
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    delivery_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Delivery) -> Self:
        return cls(state=DeliveryState(row.state), provider_message_id=row.provider_id or None,
                   response=row.response, error=row.error, sent_at=row.sent_at, delivered_at=row.delivered_at,
                   read_at=row.read_at, delivery_id=row.id)

    async def _retrying(self, info: Info) -> OutboxEvent | None:
        """The sending event while it is still owed (QUEUED after a temporary failure)."""
        event = await dataloaders.deliver_events(info).load(self.delivery_id)
        owed = event is not None and event.handled_at is None and event.failed_at is None
        return event if owed and self.state is DeliveryState.QUEUED else None

    @strawberry.field(description="Attempts that failed for a temporary reason (the channel's server away, a 4xx "
                                  "answer); it is tried again with back-off, about five hours in all.")
    async def attempts(self, info: Info) -> int:
        event = await dataloaders.deliver_events(info).load(self.delivery_id)
        return event.attempts if event is not None else 0

    @strawberry.field(description="When it is tried again; null unless QUEUED after a temporary failure.")
    async def next_attempt_at(self, info: Info) -> datetime | None:
        event = await self._retrying(info)
        return event.next_attempt_at if event is not None and event.attempts else None

    @strawberry.field(description="The last temporary failure's code (smtp_421, timeout, http_503), while it is "
                                  "tried again; `error` holds the final one.")
    async def last_attempt_error(self, info: Info) -> str | None:
        event = await self._retrying(info)
        if event is None or not event.attempts:
            return None
        _, _, code = event.last_error.partition(": ")
        return code or None
