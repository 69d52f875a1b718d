"""Erasing a customer (crm's eraseCustomer) reaches what aftersales and channels hold on them:
ticket texts and subjects, stored attachments, returns' notes, the raw mails and the address
replies went to; another customer's conversation is untouched."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from strawberry import relay as gid

from core import storage
from modules.aftersales.models import Ticket, TicketMessage
from modules.channels.models import Conversation, InboundMessage
from tests.conftest import Api, TenantFixture
from tests.modules.test_channels_email import (  # noqa: F401 - shop and smtp are fixtures
    PNG,
    REPLY,
    Mailbox,
    drain,
    mail,
    make_channel,
    post,
    shop,
    smtp,
)

ERASE = """mutation($i: EraseCustomerInput!) { eraseCustomer(input: $i) { customer { stage } errors { code } } }"""


async def _mail_with_photo(api: Api, channel: Any, sender: str) -> InboundMessage:
    msg = message_from_bytes(mail("Broken on arrival", sender=sender, body="Photo attached, my address is 1 Elm St."),
                             policy=policy.default)
    assert isinstance(msg, EmailMessage)
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="damage.png")
    response = await post(api, channel, msg.as_bytes())
    assert response.json()["status"] == "ticket_created", response.text
    return await InboundMessage.get(id=int(response.json()["id"]))


async def test_erasing_a_customer_erases_their_conversations_and_files(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any) -> None:  # noqa: F811
    channel = await make_channel(api, shop, smtp[1])
    theirs = await _mail_with_photo(api, channel, "Erin Doe <erin@example.org>")
    kept = await _mail_with_photo(api, channel, "Kim Lee <kim@example.org>")
    ticket = await Ticket.get(id=theirs.ticket_id)
    ticket_gid = str(gid.GlobalID("Ticket", str(ticket.id)))
    sent = await api.data(REPLY, {"i": {"ticketId": ticket_gid, "kind": "outbound", "body": "Sorry, Erin!"}},
                          token=shop.token)
    assert sent["addTicketMessage"]["errors"] == []
    assert await drain(rt, shop.id) == []
    first = await TicketMessage.filter(ticket_id=ticket.id).order_by("id").first()
    assert first is not None
    key = first.attachments[0]["key"]
    assert await storage.store().get(key) == PNG

    erased = await api.data(ERASE, {"i": {"customerId": str(gid.GlobalID("Customer", str(ticket.customer_id))),
                                          "confirm": True}}, token=shop.token)
    assert erased["eraseCustomer"]["errors"] == [] and erased["eraseCustomer"]["customer"]["stage"] == "erased"
    assert await drain(rt, shop.id) == []

    assert (await Ticket.get(id=ticket.id)).subject == "[erased]"
    messages = await TicketMessage.filter(ticket_id=ticket.id)
    assert len(messages) == 2 and {(m.body, m.translated_body) for m in messages} == {("[erased]", None)}
    assert all(m.attachments == [] for m in messages)
    assert await storage.store().get(key) is None
    raw = await InboundMessage.get(id=theirs.id)
    assert raw.content == "" and raw.size == 0 and raw.provider_id  # a provider's retry still opens nothing
    conversation = await Conversation.get(ticket_id=ticket.id)
    assert (conversation.address, conversation.name) == ("", "")

    # Kim's conversation is untouched.
    other = await TicketMessage.filter(ticket_id=kept.ticket_id).first()
    assert other is not None and "Elm St" in other.body and await storage.store().get(other.attachments[0]["key"]) == PNG
    assert (await InboundMessage.get(id=kept.id)).size > 0
    assert (await Conversation.get(ticket_id=kept.ticket_id)).address == "kim@example.org"
