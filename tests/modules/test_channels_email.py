"""The e-mail channel end to end over HTTP: raw MIME posted to the inbound webhook becomes tickets
and replies; an agent's reply goes out through the outbox to a real SMTP server (aiosmtpd) that
the tests start, with the delivery state on the ticket message."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from strawberry import relay as gid

from core.models import OutboxEvent
from modules.channels import http as channel_http
from modules.channels.models import InboundMessage
from tests.conftest import Api, TenantFixture, make_tenant

PASSWORD = "smtp-secret-Zq81"  # noqa: S105 - the credential that must never come back out
CREATE_CHANNEL = """mutation($i: CreateChannelInput!) { createChannel(input: $i) {
  channel { id kind name address replyTo enabled inboundPath credentialsSet health { lastOkAt lastError } }
  inboundToken errors { code field message } } }"""
UPDATE_CHANNEL = """mutation($i: UpdateChannelInput!) { updateChannel(input: $i) {
  channel { id enabled credentialsSet health { lastOkAt lastErrorAt lastError } } inboundToken
  errors { code field message } } }"""
CHANNELS = "{ channels(first: 10) { edges { node { id name kind credentialsSet enabled } } } }"
INBOUND = """query($c: ID!, $s: InboundStatus) { channelInboundMessages(channelId: $c, status: $s, first: 20) {
  nodes { id status error ticketId size } } }"""
TICKET = """query($id: ID!) { ticket(id: $id) { number subject channel language customer { id emails }
  messages(first: 20) { nodes { id kind body delivery { state providerMessageId response error sentAt } } } } }"""
CREATE_CUSTOMER = """mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } errors { code } } }"""
RETRIES = """query($id: ID!) { ticket(id: $id) { messages(first: 5) { nodes {
  delivery { state attempts nextAttemptAt lastAttemptError } } } } }"""
REPLY = """mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) {
  message { id delivery { state } } errors { code field } } }"""


# --- An SMTP server of the tests' own -------------------------------------------------------

@dataclass
class Mailbox:
    """What the server received, and what it answers next (a queue of SMTP replies, then 250)."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.answers:
            return self.answers.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 2.0.0 Ok: queued as TEST"


def _free_port() -> int:
    for port in range(18300, 18400):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18300-18399")


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


# --- Helpers --------------------------------------------------------------------------------

async def drain(rt: Any, tenant_id: int) -> list[str]:
    """Deliver the tenant's owed events as the worker would, oldest first, until none is due; the
    errors raised (a temporary SMTP failure) are returned, as the outbox records them."""
    from core import events
    from workers.settings import compose

    handlers = compose(rt.modules).event_handlers
    errors: list[str] = []
    for _ in range(10):
        due = await (OutboxEvent.filter(tenant_id=tenant_id, handled_at=None, failed_at=None)
                     .filter(next_attempt_at__isnull=True).order_by("created_at").values_list("id", flat=True))
        owed = [*due, *await OutboxEvent.filter(tenant_id=tenant_id, handled_at=None, failed_at=None,
                                                next_attempt_at__lte=datetime.now(UTC)).values_list("id", flat=True)]
        if not owed:
            break
        for event_id in dict.fromkeys(owed):
            try:
                await events.dispatch(str(event_id), handlers)
            except Exception as exc:  # noqa: BLE001 - what a worker's job would report
                errors.append(type(exc).__name__)
        if errors:
            break
    return errors


def mail(subject: str = "Where is my parcel?", sender: str = "Anna Berg <anna@example.org>",
         body: str = "Hallo, mein Paket ist noch nicht angekommen. Können Sie bitte nachsehen?",
         message_id: str | None = None, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@shop.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.org>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


@dataclass
class Channel:
    id: str
    path: str
    token: str


async def make_channel(api: Api, t: TenantFixture, port: int, **extra: Any) -> Channel:
    values = {"kind": "email", "name": f"Support {uuid.uuid4().hex[:6]}", "address": "support@shop.test",
              "replyTo": "help@shop.test", "credentials": {
                  "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                  "smtp_username": "", "smtp_password": PASSWORD}, **extra}
    data = (await api.data(CREATE_CHANNEL, {"i": values}, token=t.token))["createChannel"]
    assert data["errors"] == [], data
    return Channel(data["channel"]["id"], data["channel"]["inboundPath"], data["inboundToken"])


async def post(api: Api, channel: Channel, raw: bytes, token: str | None = None, **kw: Any) -> Any:
    return await api.client.post(channel.path, content=raw, headers={
        "X-Channel-Token": channel.token if token is None else token, "Content-Type": "message/rfc822", **kw})


async def ticket_of(api: Api, t: TenantFixture, inbound_id: str) -> dict[str, Any]:
    row = await InboundMessage.get(id=int(inbound_id))
    assert row.ticket_id is not None, (row.status, row.error)
    return (await api.data(TICKET, {"id": str(gid.GlobalID("Ticket", str(row.ticket_id)))}, token=t.token))["ticket"]


@pytest.fixture(scope="module")
async def shop(api: Api, rt: Any) -> TenantFixture:
    return await make_tenant(api, rt)


# --- Accounts -------------------------------------------------------------------------------

async def test_an_admin_connects_a_mailbox_and_credentials_never_come_back(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int]) -> None:
    channel = await make_channel(api, shop, smtp[1])
    listed = await api.post(CHANNELS, token=shop.token)
    node = next(e["node"] for e in listed["data"]["channels"]["edges"] if e["node"]["id"] == channel.id)
    assert node["credentialsSet"] == ["smtp_host", "smtp_password", "smtp_port", "smtp_security", "smtp_username"]
    assert PASSWORD not in str(listed)
    updated = await api.post(UPDATE_CHANNEL, {"i": {"channelId": channel.id, "enabled": False,
                                                    "credentials": {"smtp_password": "another-Secret-9"}}},
                             token=shop.token)
    assert updated["data"]["updateChannel"]["channel"]["enabled"] is False
    assert "another-Secret-9" not in str(updated) and updated["data"]["updateChannel"]["inboundToken"] is None
    assert (await post(api, channel, mail())).status_code == 503  # switched off: the provider keeps it
    back = await api.data(UPDATE_CHANNEL, {"i": {"channelId": channel.id, "enabled": True}}, token=shop.token)
    assert back["updateChannel"]["channel"]["enabled"] is True


async def test_channel_input_is_checked_with_translated_errors(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int]) -> None:
    data = await api.post(CREATE_CHANNEL, {"i": {
        "kind": "email", "name": " ", "address": "not-an-address", "credentials": {
            "smtp_port": "25", "smtp_security": "ssl3", "api_key": "x"}}}, token=shop.token, lang="de")
    errors = {tuple(e["field"]): e["code"] for e in data["data"]["createChannel"]["errors"]}
    assert errors == {("name",): "INVALID_NAME", ("address",): "INVALID_EMAIL",
                      ("credentials", "smtp_port"): "INVALID_CREDENTIAL",
                      ("credentials", "smtp_security"): "INVALID_CHOICE",
                      ("credentials", "api_key"): "UNKNOWN_CREDENTIAL",
                      ("credentials", "smtp_host"): "REQUIRED"}, errors
    message = next(e["message"] for e in data["data"]["createChannel"]["errors"] if e["code"] == "REQUIRED")
    assert message != "This credential is required."  # German
    unknown = await api.post(CREATE_CHANNEL, {"i": {"kind": "fax", "name": "x", "address": "a@b.test"}},
                             token=shop.token)
    assert unknown["data"]["createChannel"]["errors"][0]["code"] == "UNKNOWN_KIND"


# --- Inbound --------------------------------------------------------------------------------

async def test_a_mail_opens_a_ticket_for_the_matching_customer_and_replies_thread_onto_it(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any) -> None:
    customer = (await api.data(CREATE_CUSTOMER, {"i": {"firstName": "Anna", "emails": ["Anna@Example.org"]}},
                               token=shop.token))["createCustomer"]["customer"]
    channel = await make_channel(api, shop, smtp[1])
    first_id = "<first-1@example.org>"
    response = await post(api, channel, mail(message_id=first_id))
    assert response.status_code == 200 and response.json()["status"] == "ticket_created", response.text
    ticket = await ticket_of(api, shop, response.json()["id"])
    assert ticket["customer"]["id"] == customer["id"] and ticket["channel"] == "email"
    assert ticket["language"] == "de" and ticket["subject"] == "Where is my parcel?"

    # The same Message-ID again (a provider's retry): one message.
    again = await post(api, channel, mail(message_id=first_id))
    assert again.json()["status"] == "duplicate"

    by_header = await post(api, channel, mail("Re: Where is my parcel?", body="Noch eine Frage dazu, bitte.",
                                              In_Reply_To=first_id, References=first_id))
    assert by_header.json()["status"] == "threaded"
    by_token = await post(api, channel, mail(f"Any news? [#{ticket['number']}]", body="Gibt es etwas Neues?"))
    assert by_token.json()["status"] == "threaded"
    # A stranger quoting the token does not join someone else's ticket.
    stranger = await post(api, channel, mail(f"[#{ticket['number']}] hello", sender="eve@example.net"))
    assert stranger.json()["status"] == "ticket_created"
    ticket = await ticket_of(api, shop, response.json()["id"])
    assert [m["kind"] for m in ticket["messages"]["nodes"]] == ["inbound", "inbound", "inbound"]
    # The stranger became a customer with the address they wrote from.
    new = await ticket_of(api, shop, stranger.json()["id"])
    assert new["customer"]["emails"] == ["eve@example.net"]


CREATE_ORDER = """mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { number } errors { code } } }"""
TICKET_ORDER = "query($id: ID!) { ticket(id: $id) { order { number } } }"


async def test_an_order_number_quoted_in_a_mail_links_the_senders_own_order(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int]) -> None:
    sender = f"buyer-{uuid.uuid4().hex[:6]}@example.org"
    customer = (await api.data(CREATE_CUSTOMER, {"i": {"firstName": "Ola", "emails": [sender]}},
                               token=shop.token))["createCustomer"]["customer"]
    for number in ("302-1234567-7654321", "#4711"):
        created = await api.data(CREATE_ORDER, {"i": {"customerId": customer["id"], "number": number, "currency": "EUR",
                                                      "lines": [{"sku": "MUG-1", "unitPrice": "9"}]}}, token=shop.token)
        assert created["createOrder"]["errors"] == []
    channel = await make_channel(api, shop, smtp[1])

    async def linked(subject: str, body: str, frm: str = sender) -> str | None:
        response = await post(api, channel, mail(subject, sender=frm, body=body))
        assert response.json()["status"] == "ticket_created", response.text
        row = await InboundMessage.get(id=int(response.json()["id"]))
        ticket = await api.data(TICKET_ORDER, {"id": str(gid.GlobalID("Ticket", str(row.ticket_id)))},
                                token=shop.token)
        return ticket["ticket"]["order"]["number"] if ticket["ticket"]["order"] else None

    # Amazon's format in the body; a number that is not theirs before it is passed over.
    assert await linked("Return", "Order 111-0000000-0000000 was my sister's, 302-1234567-7654321 is mine.") \
        == "302-1234567-7654321"
    assert await linked("Question about order #4711", "When does it ship?") == "#4711"
    assert await linked("Question about 4711", "When does it ship?") is None  # a bare number is no order
    # Someone else quoting the buyer's number links nothing.
    assert await linked("My order 302-1234567-7654321", "Hi", frm="mallory@example.net") is None


ATTACHMENTS = """query($id: ID!) { ticket(id: $id) { messages(first: 5) { nodes {
  attachments { name contentType size url refused } } } } }"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


async def test_attachments_are_kept_by_their_bytes_and_served_only_through_signed_links(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from core.storage import links
    from modules.channels.services import attachments

    monkeypatch.setattr(attachments, "MAX_FILE_BYTES", 50_000)
    channel = await make_channel(api, shop, smtp[1])
    msg = message_from_bytes(mail("Photos of the damage", body="The mug arrived broken, photos attached."),
                             policy=policy.default)
    assert isinstance(msg, EmailMessage)
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="broken mug.png")
    msg.add_attachment(b"%PDF-1.4\n% the invoice\n", maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(b"MZ\x90\x00" + b"\x00" * 200, maintype="application", subtype="pdf", filename="label.pdf")
    msg.add_attachment(b"<html><script>alert(1)</script></html>", maintype="image", subtype="png",
                       filename="photo.png")  # a page that claims to be a picture
    msg.add_attachment(b"x" * 60_000, maintype="text", subtype="plain", filename="log.txt")
    response = await post(api, channel, msg.as_bytes())
    assert response.json()["status"] == "ticket_created", response.text
    row = await InboundMessage.get(id=int(response.json()["id"]))
    ticket_id = str(gid.GlobalID("Ticket", str(row.ticket_id)))
    nodes = (await api.data(ATTACHMENTS, {"id": ticket_id}, token=shop.token))["ticket"]["messages"]["nodes"]
    files = {a["name"]: a for a in nodes[0]["attachments"]}
    assert {n: (a["contentType"], a["refused"]) for n, a in files.items()} == {
        "broken mug.png": ("image/png", None), "invoice.pdf": ("application/pdf", None),
        "label.pdf": ("application/x-msdownload", "executable"), "photo.png": ("text/plain", None),
        "log.txt": ("text/plain", "too_large")}
    assert files["label.pdf"]["url"] == "" and files["log.txt"]["url"] == ""
    assert files["broken mug.png"]["size"] == len(PNG)

    picture = await api.client.get(files["broken mug.png"]["url"])  # no bearer token: the link is the credential
    assert picture.status_code == 200 and picture.content == PNG
    assert picture.headers["content-type"] == "image/png" and picture.headers["x-content-type-options"] == "nosniff"
    assert picture.headers["content-disposition"] == "attachment; filename*=UTF-8''broken%20mug.png"
    page = await api.client.get(files["photo.png"]["url"])
    assert page.headers["content-type"].startswith("text/plain") and "sandbox" in page.headers["content-security-policy"]
    # A link cannot be altered into another file, nor used once expired.
    token = files["invoice.pdf"]["url"].removeprefix(links.PATH)
    body, _, mac = token.partition(".")
    other = files["broken mug.png"]["url"].removeprefix(links.PATH).partition(".")[0]
    for bad in (f"{other}.{mac}", f"{body}.{mac[:-2]}xx", "nothing"):
        refused = await api.client.get(links.PATH + bad, headers={"Accept-Language": "de"})
        assert refused.status_code == 403 and refused.text != "This download link is invalid or has expired: ask for a new one."
    linked = links.verify(token)
    assert linked is not None
    expired = links.url_for(linked.key, linked.name, linked.content_type, expires=int(datetime.now(UTC).timestamp()) - 1)
    assert (await api.client.get(expired)).status_code == 403


async def test_a_tenants_own_order_number_format_links_its_orders(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int]) -> None:
    create = """mutation($i: CreateSalesChannelInput!) { createSalesChannel(input: $i) {
        channel { id orderNumberFormat } errors { code field message } } }"""
    bad = await api.post(create, {"i": {"platform": "MANUAL", "name": "Own shop x", "orderNumberFormat": "SO-{2"}},
                         token=shop.token, lang="de")
    [error] = bad["data"]["createSalesChannel"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_FORMAT", ["orderNumberFormat"]) and "SO-{6}" in error["message"]
    made = await api.data(create, {"i": {"platform": "MANUAL", "name": f"Own shop {uuid.uuid4().hex[:6]}",
                                         "orderNumberFormat": "SO-{6}"}}, token=shop.token)
    assert made["createSalesChannel"]["channel"]["orderNumberFormat"] == "SO-{6}"
    sender = f"own-{uuid.uuid4().hex[:6]}@example.org"
    customer = (await api.data(CREATE_CUSTOMER, {"i": {"firstName": "Ida", "emails": [sender]}},
                               token=shop.token))["createCustomer"]["customer"]
    created = await api.data(CREATE_ORDER, {"i": {"customerId": customer["id"], "number": "SO-004711", "currency": "EUR",
                                                  "lines": [{"sku": "MUG-1", "unitPrice": "9"}]}}, token=shop.token)
    assert created["createOrder"]["errors"] == []
    channel = await make_channel(api, shop, smtp[1])
    response = await post(api, channel, mail("Delivery", sender=sender, body="Where is SO-004711, please?"))
    row = await InboundMessage.get(id=int(response.json()["id"]))
    ticket = await api.data(TICKET_ORDER, {"id": str(gid.GlobalID("Ticket", str(row.ticket_id)))}, token=shop.token)
    assert ticket["ticket"]["order"] == {"number": "SO-004711"}


async def test_automated_mail_opens_nothing(api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int]) -> None:
    channel = await make_channel(api, shop, smtp[1])
    auto = await post(api, channel, mail("Out of office", Auto_Submitted="auto-replied"))
    listed = await post(api, channel, mail("Newsletter", Precedence="bulk"))
    x_auto = await post(api, channel, mail("Re: parcel", X_Autoreply="yes"))
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.example.org"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<bounce-1@mx.example.org>"
    bounce.set_content("This is the mail system.")
    bounce.add_attachment("Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; x@example.org\n"
                          "Action: failed\nStatus: 5.1.1\n", subtype="delivery-status")
    bounce.replace_header("Content-Type", bounce["Content-Type"].replace("multipart/mixed", "multipart/report"))
    dsn = await post(api, channel, bounce.as_bytes())
    for response in (auto, listed, x_auto, dsn):
        assert response.status_code == 200 and response.json()["status"] == "ignored", response.text
    rows = await InboundMessage.filter(id__in=[int(r.json()["id"]) for r in (auto, listed, x_auto, dsn)])
    assert {r.error for r in rows} == {"auto_reply", "list", "bounce"} and all(r.ticket_id is None for r in rows)


async def test_a_channel_for_known_customers_only_opens_nothing_for_strangers(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int]) -> None:
    from modules.crm.models import Customer

    channel = await make_channel(api, shop, smtp[1], acceptFrom="KNOWN_CUSTOMERS")
    listed = await api.data("{ channels(first: 50) { edges { node { id acceptFrom } } } }", token=shop.token)
    assert {e["node"]["id"]: e["node"]["acceptFrom"] for e in listed["channels"]["edges"]}[channel.id] == \
        "KNOWN_CUSTOMERS"
    known = f"known-{uuid.uuid4().hex[:6]}@example.org"
    await api.data(CREATE_CUSTOMER, {"i": {"firstName": "Known", "emails": [known]}}, token=shop.token)
    customers = await Customer.filter(tenant_id=shop.id).count()
    stranger = await post(api, channel, mail("Hello", sender=f"stranger-{uuid.uuid4().hex[:6]}@example.net"))
    assert stranger.status_code == 200 and stranger.json()["status"] == "ignored", stranger.text
    assert stranger.json()["reason"] == "unknown_sender"
    row = await InboundMessage.get(id=int(stranger.json()["id"]))
    assert (row.status, row.error, row.ticket_id) == ("ignored", "unknown_sender", None)  # kept for admins
    assert await Customer.filter(tenant_id=shop.id).count() == customers  # nobody was created
    customer = await post(api, channel, mail("Hello", sender=known))
    assert customer.json()["status"] == "ticket_created"
    # Back to anyone: the next stranger opens a ticket.
    opened = await api.data(UPDATE_CHANNEL, {"i": {"channelId": channel.id, "acceptFrom": "ANYONE"}},
                            token=shop.token)
    assert opened["updateChannel"]["errors"] == []
    again = await post(api, channel, mail("Hello", sender=f"new-{uuid.uuid4().hex[:6]}@example.net"))
    assert again.json()["status"] == "ticket_created"


async def test_malformed_mail_is_kept_with_its_error_for_admins(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int]) -> None:
    channel = await make_channel(api, shop, smtp[1])
    broken = await post(api, channel, b"\x00\xff\xfe this is no mail at all")
    assert broken.status_code == 200 and broken.json()["status"] == "failed"
    failed = (await api.data(INBOUND, {"c": channel.id, "s": "FAILED"}, token=shop.token))["channelInboundMessages"]
    assert [(n["id"], n["status"], n["ticketId"]) for n in failed["nodes"]] == [(broken.json()["id"], "FAILED", None)]
    assert failed["nodes"][0]["error"] and failed["nodes"][0]["size"] == len(b"\x00\xff\xfe this is no mail at all")


async def test_the_webhook_needs_the_channels_own_token(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    channel = await make_channel(api, shop, smtp[1])
    other = await make_tenant(api, rt)
    theirs = await make_channel(api, other, smtp[1])
    assert (await post(api, channel, mail(), token="")).status_code == 401
    assert (await post(api, channel, mail(), token=channel.token[:-1] + "x")).status_code == 403
    # Another tenant's channel with our token, or ours under another kind: never reachable.
    assert (await post(api, Channel(theirs.id, theirs.path, channel.token), mail())).status_code == 403
    assert (await post(api, Channel(channel.id, channel.path.replace("/email/", "/line/"), channel.token),
                       mail())).status_code == 403
    refused = await post(api, Channel(channel.id, "/channels/email/not-a-uuid/inbound", channel.token), mail(),
                         **{"Accept-Language": "fr"})
    assert refused.status_code == 403 and refused.json()["message"] != "This token does not open this channel."
    assert await InboundMessage.filter(account__tenant_id=other.id).count() == 0
    monkeypatch.setattr(channel_http, "MAX_BYTES", 1000)
    assert (await post(api, channel, mail(body="x" * 2000))).status_code == 413


async def test_mail_loops_open_nothing_and_are_never_answered(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from core import channels as kinds
    monkeypatch.setitem(kinds._kinds, "email", replace(kinds._kinds["email"], sender_limit=(3, 3600)))
    channel = await make_channel(api, shop, smtp[1])
    own = await post(api, channel, mail("Re: your order", sender="Support <SUPPORT@shop.test>"))
    assert own.json()["status"] == "ignored"
    # An auto-responder with no Auto-Submitted header answering every message it gets.
    robot = f"robot-{uuid.uuid4().hex[:6]}@example.net"
    statuses = [(await post(api, channel, mail(f"Re: ticket {i}", sender=robot, body="We got your mail."))).json()
                for i in range(5)]
    assert [s["status"] for s in statuses] == ["ticket_created", "ticket_created", "ticket_created",
                                                "ignored", "ignored"], statuses
    rows = await InboundMessage.filter(id__in=[int(own.json()["id"]), int(statuses[-1]["id"])])
    assert {r.error for r in rows} == {"own_message", "loop"} and all(r.ticket_id is None for r in rows)
    # Another sender on the same mailbox is not held back by the robot.
    person = await post(api, channel, mail("Hello", sender=f"p-{uuid.uuid4().hex[:6]}@example.org"))
    assert person.json()["status"] == "ticket_created"


# --- Outbound -------------------------------------------------------------------------------

async def test_a_reply_goes_out_threaded_from_the_tenants_mailbox(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    box, port = smtp
    channel = await make_channel(api, shop, port)
    customer_id = "<order-question@example.org>"
    with caplog.at_level(logging.DEBUG):
        first = await post(api, channel, mail("Wrong size", sender="Ben Cole <ben@example.com>",
                                              body="The shoes are too small, can I exchange them?",
                                              message_id=customer_id))
        ticket = await ticket_of(api, shop, first.json()["id"])
        ticket_id = str(gid.GlobalID("Ticket", str((await InboundMessage.get(id=int(first.json()["id"]))).ticket_id)))
        sent = await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound",
                                            "body": "Of course: we send you a return label today."}},
                              token=shop.token)
        assert sent["addTicketMessage"]["errors"] == []
        before = len(box.received)
        assert await drain(rt, shop.id) == []
    assert len(box.received) == before + 1
    out = box.received[-1]
    assert out["From"].addresses[0].addr_spec == "support@shop.test" and out["Reply-To"] == "help@shop.test"
    assert out["From"].addresses[0].display_name.startswith("Support ")
    assert out["To"].addresses[0].addr_spec == "ben@example.com" and box.envelopes[-1][1] == ["ben@example.com"]
    assert out["In-Reply-To"] == customer_id and customer_id in out["References"]
    assert out["Subject"] == f"Re: Wrong size [#{ticket['number']}]"
    assert out.get_content().strip() == "Of course: we send you a return label today."
    view = await api.data(TICKET, {"id": ticket_id}, token=shop.token)
    reply = view["ticket"]["messages"]["nodes"][-1]
    assert reply["delivery"]["state"] == "SENT" and reply["delivery"]["providerMessageId"] == out["Message-ID"]
    assert reply["delivery"]["response"].startswith("2.0.0 Ok") and reply["delivery"]["sentAt"]
    assert view["ticket"]["messages"]["nodes"][0]["delivery"] is None  # the customer's message
    # The customer answers our reply: it threads by our Message-ID.
    answer = await post(api, channel, mail("Re: Wrong size", sender="ben@example.com", body="Thanks!",
                                           In_Reply_To=out["Message-ID"]))
    assert answer.json()["status"] == "threaded"
    # Our reply coming back (a forwarding rule that keeps the Message-ID) is no new message.
    del out["From"]
    out["From"] = "forwarder@example.com"
    echoed = await post(api, channel, out.as_bytes())
    assert echoed.json()["status"] == "ignored"
    assert (await InboundMessage.get(id=int(echoed.json()["id"]))).error == "own_message"
    # Our own logs at every level, and everyone's from INFO up (the test's SMTP server aside).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("core", "modules", "workers")
                       or (r.levelno >= logging.INFO and not r.name.startswith("mail.log")))
    for secret in (PASSWORD, "ben@example.com", "too small", "return label"):
        assert secret not in logged


async def test_live_inboxes_hear_when_a_replys_delivery_moves(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any) -> None:
    import asyncio

    from modules.aftersales.services import ticket_changes

    box, port = smtp
    channel = await make_channel(api, shop, port)
    first = await post(api, channel, mail(sender=f"live-{uuid.uuid4().hex[:6]}@example.com"))
    pk = (await InboundMessage.get(id=int(first.json()["id"]))).ticket_id
    sent = await api.data(REPLY, {"i": {"ticketId": str(gid.GlobalID("Ticket", str(pk))), "kind": "outbound",
                                        "body": "On its way."}}, token=shop.token)
    assert sent["addTicketMessage"]["errors"] == []
    async with ticket_changes(rt.live, shop.id) as changes:
        assert await drain(rt, shop.id) == []

        async def delivery_news() -> list[tuple[int, str]]:
            seen = []
            async for change in changes:
                seen.append((change.ticket_id, change.kind))
                if change.kind == "delivery_changed":
                    return seen
            return seen

        heard = await asyncio.wait_for(delivery_news(), timeout=10)
    assert heard[-1] == (pk, "delivery_changed")


async def test_a_reply_whose_jobs_redis_lost_is_sent_once_all_the_same(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any) -> None:
    """Redis flushed after the reply's events were handed to arq: they stay owed in the database,
    the relay hands them over again once their redelivery time passes, and the mail goes out once."""
    from core import events
    from workers.settings import compose

    box, port = smtp
    channel = await make_channel(api, shop, port)
    first = await post(api, channel, mail(sender=f"flush-{uuid.uuid4().hex[:6]}@example.com"))
    pk = (await InboundMessage.get(id=int(first.json()["id"]))).ticket_id
    sent = await api.data(REPLY, {"i": {"ticketId": str(gid.GlobalID("Ticket", str(pk))), "kind": "outbound",
                                        "body": "Sent despite Redis."}}, token=shop.token)
    assert sent["addTicketMessage"]["errors"] == []
    assert await relay(rt.redis) >= 1
    await rt.redis.flushdb()  # every job arq had is gone
    assert await rt.redis.zcard("arq:queue") == 0
    before = len(box.received)
    handlers = compose(rt.modules).event_handlers
    for _ in range(3):  # reply_added queues the delivery, whose own event is then owed in turn
        owed = OutboxEvent.filter(tenant_id=shop.id, handled_at=None, topic__in=("aftersales.reply_added",
                                                                                 "channels.deliver"))
        await owed.update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))  # (the wait is over)
        ids = await owed.values_list("id", flat=True)
        if not ids:
            break
        assert await relay(rt.redis) >= len(ids)  # handed to arq again
        for event_id in ids:  # what each job runs (a worker of the app's may run one first: no matter)
            await events.dispatch(str(event_id), handlers)
    assert len(box.received) == before + 1 and box.received[-1].get_content().strip() == "Sent despite Redis."
    assert not await OutboxEvent.filter(tenant_id=shop.id, handled_at=None, topic="channels.deliver").exists()


async def test_a_permanent_smtp_failure_fails_and_a_temporary_one_retries(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any) -> None:
    box, port = smtp
    channel = await make_channel(api, shop, port)

    async def reply(text: str) -> str:
        first = await post(api, channel, mail(sender=f"c{uuid.uuid4().hex[:6]}@example.com"))
        ticket_id = str(gid.GlobalID("Ticket", str((await InboundMessage.get(id=int(first.json()["id"]))).ticket_id)))
        data = await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": text}},
                              token=shop.token)
        assert data["addTicketMessage"]["errors"] == []
        return ticket_id

    async def delivery(ticket_id: str) -> dict[str, Any]:
        view = await api.data(TICKET, {"id": ticket_id}, token=shop.token)
        return view["ticket"]["messages"]["nodes"][-1]["delivery"]

    box.answers = ["550 5.1.1 No such user here"]
    permanent = await reply("This one cannot arrive.")
    assert await drain(rt, shop.id) == []
    failed = await delivery(permanent)
    assert failed["state"] == "FAILED" and failed["error"] == "smtp_550" and "5.1.1" in failed["response"]
    health = await api.data(UPDATE_CHANNEL, {"i": {"channelId": channel.id}}, token=shop.token)
    assert health["updateChannel"]["channel"]["health"]["lastError"] == "smtp_550"

    box.answers = ["451 4.3.0 Try again later"]
    temporary = await reply("This one arrives on the second attempt.")
    before = len(box.received)
    assert await drain(rt, shop.id) == ["TemporaryFailure"]
    retrying = await api.data(RETRIES, {"id": temporary}, token=shop.token)
    [state] = [m["delivery"] for m in retrying["ticket"]["messages"]["nodes"] if m["delivery"]]
    assert (state["state"], state["attempts"], state["lastAttemptError"]) == ("QUEUED", 1, "smtp_451")
    owed = await OutboxEvent.filter(tenant_id=shop.id, topic="channels.deliver", handled_at=None).first()
    assert owed is not None and owed.attempts == 1 and owed.next_attempt_at is not None
    assert datetime.fromisoformat(state["nextAttemptAt"]) == owed.next_attempt_at  # what the agent is told
    await OutboxEvent.filter(id=owed.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await drain(rt, shop.id) == []
    sent = [m["delivery"] for m in (await api.data(RETRIES, {"id": temporary}, token=shop.token))["ticket"][
        "messages"]["nodes"] if m["delivery"]][0]
    assert (sent["state"], sent["attempts"], sent["nextAttemptAt"], sent["lastAttemptError"]) == ("SENT", 1, None, None)
    assert (await delivery(temporary))["state"] == "SENT" and len(box.received) == before + 1
    assert box.received[-1]["Message-ID"] == (await delivery(temporary))["providerMessageId"]

    # On the outbox's last attempt a temporary failure is final: the reply does not stay queued.
    from core.events import MAX_ATTEMPTS

    box.answers = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    last = await reply("Nobody will try this one again.")
    assert await drain(rt, shop.id) == ["TemporaryFailure"]
    event = await OutboxEvent.get(tenant_id=shop.id, topic="channels.deliver", handled_at=None)
    await OutboxEvent.filter(id=event.id).update(attempts=MAX_ATTEMPTS - 1,
                                                 next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await drain(rt, shop.id) == []
    assert (await delivery(last))["state"] == "FAILED" and (await delivery(last))["error"] == "smtp_451"


async def test_a_macro_reply_is_delivered_and_no_secret_reaches_the_audit_log(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any) -> None:
    box, port = smtp
    channel = await make_channel(api, shop, port)
    first = await post(api, channel, mail("Invoice please", sender="dan@example.com",
                                          body="Could you send me the invoice for my order?"))
    ticket_id = str(gid.GlobalID("Ticket", str((await InboundMessage.get(id=int(first.json()["id"]))).ticket_id)))
    created = await api.data("""mutation($i: CreateMacroInput!) { createMacro(input: $i) { macro { id } errors { code } } }""",
                             {"i": {"name": f"Invoice {uuid.uuid4().hex[:4]}",
                                    "variants": [{"language": "en", "body": "Your invoice is attached."}]}},
                             token=shop.token)
    applied = await api.data("""mutation($i: ApplyMacroInput!) { applyMacro(input: $i) { errors { code } } }""",
                             {"i": {"macroId": created["createMacro"]["macro"]["id"], "ticketId": ticket_id}},
                             token=shop.token)
    assert applied["applyMacro"]["errors"] == []
    before = len(box.received)
    assert await drain(rt, shop.id) == []
    assert len(box.received) == before + 1 and box.envelopes[-1][1] == ["dan@example.com"]
    assert box.received[-1].get_content().strip() == "Your invoice is attached."
    audit = await api.post("""{ auditLog(first: 50, filter: {objectType: "ChannelAccount"}) {
      nodes { action after } } }""", token=shop.token)
    actions = {n["action"] for n in audit["data"]["auditLog"]["nodes"]}
    assert {"channel.create", "channel.update"} <= actions
    assert PASSWORD not in json.dumps(audit) and "another-Secret-9" not in json.dumps(audit)


async def test_a_send_whose_recording_is_lost_goes_again_under_the_same_message_id(
        api: Api, rt: Any, shop: TenantFixture, smtp: tuple[Mailbox, int], relay: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server took the mail, then the worker lost its transaction (killed, database away):
    the retry sends it again, and the customer's client sees one message by its Message-ID."""
    from modules.channels.services import outbound

    box, port = smtp
    channel = await make_channel(api, shop, port)
    first = await post(api, channel, mail(sender="fay@example.com"))
    ticket_id = str(gid.GlobalID("Ticket", str((await InboundMessage.get(id=int(first.json()["id"]))).ticket_id)))
    await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": "On its way."}}, token=shop.token)

    async def lost(*_: Any) -> None:
        raise ConnectionError("database went away")

    recorded = outbound.record_health
    monkeypatch.setattr(outbound, "record_health", lost)
    before = len(box.received)
    assert await drain(rt, shop.id) == ["ConnectionError"]
    monkeypatch.setattr(outbound, "record_health", recorded)  # (undo() would resume the relay too)
    owed = await OutboxEvent.get(tenant_id=shop.id, topic="channels.deliver", handled_at=None)
    await OutboxEvent.filter(id=owed.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await drain(rt, shop.id) == []
    twice = box.received[before:]
    assert len(twice) == 2 and twice[0]["Message-ID"] == twice[1]["Message-ID"]
    view = await api.data(TICKET, {"id": ticket_id}, token=shop.token)
    assert view["ticket"]["messages"]["nodes"][-1]["delivery"]["providerMessageId"] == twice[0]["Message-ID"]
