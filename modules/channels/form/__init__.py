"""The web contact form channel kind: a tenant's storefront posts a form, it becomes a ticket.

The public route (form.http) validates the submission and hands `receive` a normalised JSON
document, so a form goes through the same pipeline as a mail: stored first, deduplicated by the
client's submission id, the sender matched by e-mail, the ticket through aftersales. A form has
no way back to the customer of its own: replies go out by e-mail, through the tenant's first
enabled mailbox, to the address the buyer gave (`replies_by`); without a mailbox the delivery
fails with `no_channel`.
"""

from __future__ import annotations

import json
import uuid

from core.channels import Account, ChannelKind, Inbound, Outbound, ParseError, PermanentFailure, Sent
from core.i18n import N_

KIND = "web_form"
FIELDS = ("name", "email", "subject", "message")


def path(public_id: object) -> str:
    """The form's public path (form.http): GET it for the stamp, POST the submission."""
    return f"/channels/form/{public_id}"


def parse(raw: bytes) -> Inbound:
    """The normalised document the form route wrote (or a forward in the same shape)."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ParseError("invalid_json") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) and data[f] for f in FIELDS):
        raise ParseError("missing_fields")
    body, order = data["message"], data.get("order_number") or None
    if not isinstance(order, str):
        order = None
    if order:
        body = f"{body}\n\nOrder: {order}"  # kept in the text too: agents see what the buyer typed
    submission = data.get("submission_id")
    return Inbound(provider_id=f"form:{submission}" if isinstance(submission, str) and submission else None,
                   sender=data["email"], sender_name=data["name"], subject=data["subject"], body=body,
                   language=data.get("language") or None, order_number=order)


async def send(account: Account, message: Outbound) -> Sent:
    raise PermanentFailure("no_outbound")


WEB_FORM = ChannelKind(
    name=KIND,
    label=N_("Web contact form"),
    ticket_channel="web_form",
    credentials=(),
    parse=parse,
    send=send,
    new_provider_id=lambda account: uuid.uuid4().hex,
    replies_by="email",
)
