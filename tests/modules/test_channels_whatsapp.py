"""The WhatsApp channel end to end over HTTP, against a fake Graph API the tests start
(tests/fixtures/graph_api.py): Meta's webhook verification and signed notifications in, tickets
for customers matched by phone, media kept as references, replies and templates out through the
outbox to the fake server, its receipts moving the delivery forward, and the 24-hour window."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry import relay as gid

from core.models import OutboxEvent
from modules.aftersales.models import TicketMessage
from modules.channels.models import Delivery, InboundMessage
from modules.channels.services import media_refs
from tests.conftest import Api, TenantFixture, make_tenant
from tests.fixtures import graph_api as meta
from tests.fixtures.graph_api import FakeGraph
from tests.fixtures.live_server import serve
from tests.modules.test_channels_email import CREATE_CHANNEL, CREATE_CUSTOMER, drain

ACCESS_TOKEN = "EAAG-access-token-Zk41"  # noqa: S105 - secrets that must never come back out or be logged
TICKET = """query($id: ID!) { ticket(id: $id) { number channel customer { id phones }
  messages(first: 20) { nodes { id kind body delivery { state providerMessageId response error deliveredAt readAt } } } } }"""
REPLY = """mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) {
  message { id } errors { code field message } } }"""
TEMPLATE = """mutation($i: SendTicketTemplateInput!) { sendTicketTemplate(input: $i) {
  message { id body } errors { code field message } } }"""


@dataclass
class Number:
    """One WhatsApp account of a tenant, with what Meta knows of it."""

    id: str
    path: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    display: str


@pytest.fixture(scope="module")
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    before = os.environ.get("WHATSAPP_GRAPH_URL")
    async with serve(fake.app()) as address:
        os.environ["WHATSAPP_GRAPH_URL"] = f"http://{address}/{meta.VERSION}"  # the operator's setting
        yield fake
    if before is None:
        os.environ.pop("WHATSAPP_GRAPH_URL", None)
    else:
        os.environ["WHATSAPP_GRAPH_URL"] = before


@pytest.fixture(scope="module")
async def app_url(app: Any) -> AsyncIterator[str]:
    """The app on a real port, for the fake server to post its webhooks to."""
    async with serve(app) as address:
        yield f"http://{address}"


@pytest.fixture(scope="module")
async def shop(api: Api, rt: Any) -> TenantFixture:
    return await make_tenant(api, rt)


async def connect(api: Api, t: TenantFixture, graph: FakeGraph) -> Number:
    number_id = str(uuid.uuid4().int)[:15]
    secret, verify = f"app-secret-{uuid.uuid4().hex}", f"verify-{uuid.uuid4().hex[:8]}"
    data = (await api.data(CREATE_CHANNEL, {"i": {
        "kind": "whatsapp", "name": f"WhatsApp {uuid.uuid4().hex[:6]}", "address": "+49 30 901820",
        "credentials": {"phone_number_id": number_id, "access_token": ACCESS_TOKEN, "app_secret": secret,
                        "verify_token": verify}}}, token=t.token))["createChannel"]
    assert data["errors"] == [], data
    graph.tokens[number_id] = ACCESS_TOKEN
    return Number(data["channel"]["id"], data["channel"]["inboundPath"], number_id, secret, verify, "493090182")


async def notify(api: Api, number: Number, body: dict[str, Any], secret: str | None = None) -> Any:
    raw, headers = meta.signed(body, number.app_secret if secret is None else secret)
    return await api.client.post(number.path, content=raw, headers=headers)


def text_from(number: Number, wa_id: str, wamid: str, text: str, name: str = "Lena Vogel") -> dict[str, Any]:
    return meta.notification(number.phone_number_id, number.display, contacts=[meta.contact(wa_id, name)],
                             messages=[meta.message(wa_id, wamid, body=text)])


def wamid() -> str:
    return f"wamid.HBgL{uuid.uuid4().hex.upper()}"


def wa_id() -> str:
    return f"49151{uuid.uuid4().int % 10**8:08d}"  # a German mobile number, as Meta writes it


async def ticket_of(api: Api, t: TenantFixture, inbound_id: str) -> tuple[str, dict[str, Any]]:
    row = await InboundMessage.get(id=int(inbound_id))
    assert row.ticket_id is not None, (row.status, row.error)
    ticket_id = str(gid.GlobalID("Ticket", str(row.ticket_id)))
    return ticket_id, (await api.data(TICKET, {"id": ticket_id}, token=t.token))["ticket"]


async def conversation(api: Api, t: TenantFixture, number: Number, sender: str) -> str:
    """A ticket opened by a customer's WhatsApp message; its global ID."""
    response = await notify(api, number, text_from(number, sender, wamid(), "Wo bleibt meine Bestellung?"))
    assert response.status_code == 200, response.text
    return (await ticket_of(api, t, response.json()["received"][0]["id"]))[0]


async def last_delivery(api: Api, t: TenantFixture, ticket_id: str) -> dict[str, Any]:
    view = (await api.data(TICKET, {"id": ticket_id}, token=t.token))["ticket"]
    return view["messages"]["nodes"][-1]["delivery"]


async def reply(api: Api, t: TenantFixture, ticket_id: str, text: str, lang: str | None = None) -> dict[str, Any]:
    data = await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": text}},
                          token=t.token, lang=lang)
    return data["addTicketMessage"]


# --- Accounts and Meta's proofs ---------------------------------------------------------------

async def test_a_number_is_connected_with_its_secrets_kept_and_no_inbound_token(
        api: Api, shop: TenantFixture, graph: FakeGraph) -> None:
    number = await connect(api, shop, graph)
    listed = await api.post("{ channels(first: 50) { edges { node { id kind address credentialsSet } } } }",
                            token=shop.token)
    node = next(e["node"] for e in listed["data"]["channels"]["edges"] if e["node"]["id"] == number.id)
    assert node["kind"] == "whatsapp" and node["address"] == "+4930901820"  # E.164
    assert node["credentialsSet"] == ["access_token", "app_secret", "phone_number_id", "verify_token"]
    assert number.app_secret not in str(listed) and ACCESS_TOKEN not in str(listed)
    assert number.path == f"/channels/whatsapp/{number.path.split('/')[3]}/inbound"
    bad = await api.post(CREATE_CHANNEL, {"i": {"kind": "whatsapp", "name": "x", "address": "support@shop.test",
                                                "credentials": {"phone_number_id": "1"}}}, token=shop.token)
    errors = {tuple(e["field"]): e["code"] for e in bad["data"]["createChannel"]["errors"]}
    assert errors == {("address",): "INVALID_PHONE", ("credentials", "access_token"): "REQUIRED",
                      ("credentials", "app_secret"): "REQUIRED", ("credentials", "verify_token"): "REQUIRED"}
    created = await api.data(CREATE_CHANNEL, {"i": {"kind": "whatsapp", "name": f"n {uuid.uuid4().hex[:6]}",
                                                    "address": "+4930901821", "credentials": {
                                                        "phone_number_id": "2", "access_token": "a",
                                                        "app_secret": "b", "verify_token": "c"}}}, token=shop.token)
    assert created["createChannel"]["inboundToken"] is None  # Meta signs its webhooks instead


async def test_metas_verification_gets_the_challenge_only_with_the_verify_token(
        api: Api, shop: TenantFixture, graph: FakeGraph) -> None:
    number = await connect(api, shop, graph)
    query = {"hub.mode": "subscribe", "hub.verify_token": number.verify_token, "hub.challenge": "1158201444"}
    ok = await api.client.get(number.path, params=query)
    assert ok.status_code == 200 and ok.text == "1158201444" and ok.headers["content-type"].startswith("text/plain")
    wrong = await api.client.get(number.path, params={**query, "hub.verify_token": "guess"},
                                 headers={"Accept-Language": "de"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "FORBIDDEN"
    assert wrong.json()["message"] != "This verify token does not open this channel."  # German
    assert (await api.client.get(number.path, params={**query, "hub.mode": "unsubscribe"})).status_code == 403
    unknown = number.path.replace(number.path.split("/")[3], str(uuid.uuid4()))
    assert (await api.client.get(unknown, params=query)).status_code == 403


async def test_a_forged_missing_or_foreign_signature_is_refused_and_stores_nothing(
        api: Api, rt: Any, shop: TenantFixture, graph: FakeGraph) -> None:
    number = await connect(api, shop, graph)
    theirs = await connect(api, await make_tenant(api, rt), graph)
    body = text_from(number, wa_id(), wamid(), "Hallo")
    raw, headers = meta.signed(body, number.app_secret)
    missing = await api.client.post(number.path, content=raw, headers={"Content-Type": "application/json"})
    assert missing.status_code == 401 and missing.json()["code"] == "SIGNATURE_REQUIRED"
    assert (await notify(api, number, body, secret="not-the-app-secret")).status_code == 403
    assert (await notify(api, number, body, secret=theirs.app_secret)).status_code == 403  # another account's
    tampered = await api.client.post(number.path, content=raw.replace(b"Hallo", b"Hallo!"), headers=headers)
    assert tampered.status_code == 403 and tampered.json()["code"] == "FORBIDDEN"
    # Our signed body posted to another tenant's number: its secret does not sign it.
    assert (await api.client.post(theirs.path, content=raw, headers=headers)).status_code == 403
    # The channel token route never opens a WhatsApp account.
    assert (await api.client.post(number.path, content=raw, headers={"X-Channel-Token": "x"})).status_code == 401
    ids = [int(gid.GlobalID.from_id(n.id).node_id) for n in (number, theirs)]
    assert await InboundMessage.filter(account_id__in=ids).count() == 0
    # A genuine notification for another number of the business account is not this account's.
    foreign = meta.notification("999000111", "15550001", contacts=[meta.contact("4915100000001", "X")],
                                messages=[meta.message("4915100000001", wamid(), body="hi")])
    other = await notify(api, number, foreign)
    assert other.status_code == 200 and other.json() == {"received": []}
    assert await InboundMessage.filter(account_id__in=ids).count() == 0


# --- Inbound ----------------------------------------------------------------------------------

async def test_a_message_opens_a_ticket_for_the_customer_with_that_phone_and_the_next_threads_onto_it(
        api: Api, shop: TenantFixture, graph: FakeGraph) -> None:
    number = await connect(api, shop, graph)
    sender = wa_id()
    customer = (await api.data(CREATE_CUSTOMER, {"i": {"firstName": "Lena", "phones": [f"+{sender}"]}},
                               token=shop.token))["createCustomer"]["customer"]
    first_id = wamid()
    body = text_from(number, sender, first_id, "Hallo, mein Paket ist noch nicht angekommen.")
    first = await notify(api, number, body)
    assert first.status_code == 200, first.text
    [outcome] = first.json()["received"]
    assert outcome["status"] == "ticket_created"
    ticket_id, ticket = await ticket_of(api, shop, outcome["id"])
    assert ticket["customer"]["id"] == customer["id"] and ticket["channel"] == "whatsapp"
    # Meta retries the same notification: one message.
    again = await notify(api, number, body)
    assert again.json()["received"] == [{"status": "duplicate", "id": outcome["id"]}]
    # The same customer writes again, with no reference to the first message: the same ticket.
    later = await notify(api, number, text_from(number, sender, wamid(), "Gibt es etwas Neues?"))
    assert later.json()["received"][0]["status"] == "threaded"
    _, ticket = await ticket_of(api, shop, later.json()["received"][0]["id"])
    assert [m["body"] for m in ticket["messages"]["nodes"]] == [
        "Hallo, mein Paket ist noch nicht angekommen.", "Gibt es etwas Neues?"]
    assert await TicketMessage.filter(ticket_id=int(gid.GlobalID.from_id(ticket_id).node_id)).count() == 2


async def test_one_notification_with_several_senders_and_an_unknown_sender_becomes_a_customer(
        api: Api, shop: TenantFixture, graph: FakeGraph) -> None:
    number = await connect(api, shop, graph)
    a, b = wa_id(), wa_id()
    body = meta.notification(number.phone_number_id, number.display,
                             contacts=[meta.contact(a, "Ana Ruiz"), meta.contact(b, "Bo Chen")],
                             messages=[meta.message(a, wamid(), body="¿Dónde está mi pedido?"),
                                       meta.message(b, wamid(), body="我的包裹在哪里?"),
                                       meta.message(b, wamid(), "system", body="Bo changed their number",
                                                    type="user_changed_number")])
    response = await notify(api, number, body)
    statuses = [r["status"] for r in response.json()["received"]]
    assert statuses == ["ticket_created", "ticket_created", "ignored"]  # a system notice asks nothing
    tickets = [(await ticket_of(api, shop, r["id"]))[1] for r in response.json()["received"][:2]]
    assert tickets[0]["customer"]["phones"] == [f"+{a}"] and tickets[1]["customer"]["phones"] == [f"+{b}"]
    assert tickets[0]["customer"]["id"] != tickets[1]["customer"]["id"]


async def test_media_is_kept_as_references_and_named_in_the_message(
        api: Api, shop: TenantFixture, graph: FakeGraph) -> None:
    number = await connect(api, shop, graph)
    sender = wa_id()
    body = meta.notification(number.phone_number_id, number.display, contacts=[meta.contact(sender, "Kim")], messages=[
        meta.message(sender, wamid(), "image", id="1479537139650973", mime_type="image/jpeg",
                     sha256="4f1bYz2nKnD0kU3A9w==", caption="Der Karton ist kaputt"),
        meta.message(sender, wamid(), "document", id="9876543210", mime_type="application/pdf",
                     sha256="c2hhMjU2", filename="rechnung.pdf"),
        meta.message(sender, wamid(), "location", latitude=52.52, longitude=13.405, name="Packstation 101",
                     address="Berlin")])
    received = (await notify(api, number, body)).json()["received"]
    assert [r["status"] for r in received] == ["ticket_created", "threaded", "threaded"]
    _, ticket = await ticket_of(api, shop, received[0]["id"])
    assert [m["body"] for m in ticket["messages"]["nodes"]] == [
        "[image] Der Karton ist kaputt", "[document: rechnung.pdf]",
        "[location] Packstation 101, Berlin (52.52, 13.405)"]
    [image] = await media_refs(shop.id, int(received[0]["id"]))
    assert (image.kind, image.media_id, image.mime_type, image.sha256, image.caption) == (
        "image", "1479537139650973", "image/jpeg", "4f1bYz2nKnD0kU3A9w==", "Der Karton ist kaputt")
    [document] = await media_refs(shop.id, int(received[1]["id"]))
    assert (document.media_id, document.filename, document.mime_type) == ("9876543210", "rechnung.pdf",
                                                                          "application/pdf")
    assert await media_refs(shop.id, int(received[2]["id"])) == []
    assert await media_refs(shop.id + 10_000, int(received[0]["id"])) == []  # another tenant's: nothing


async def test_media_is_downloaded_into_the_file_store_and_attached(
        api: Api, rt: Any, shop: TenantFixture, graph: FakeGraph, relay: Any) -> None:
    from tests.modules.test_channels_email import PNG

    number = await connect(api, shop, graph)
    sender = wa_id()
    photo, invoice, voice = (f"media-{uuid.uuid4().hex[:8]}" for _ in range(3))
    graph.add_media(photo, PNG, "image/jpeg")  # the type Meta names is not the type the bytes are
    graph.add_media(invoice, b"%PDF-1.4 tampered", "application/pdf", sha256="0" * 64)
    graph.add_media(voice, b"OggS" + bytes(60), "audio/ogg")
    body = meta.notification(number.phone_number_id, number.display, contacts=[meta.contact(sender, "Kim")], messages=[
        meta.message(sender, wamid(), "image", id=photo, mime_type="image/jpeg", caption="Kaputt"),
        meta.message(sender, wamid(), "document", id=invoice, mime_type="application/pdf", filename="rechnung.pdf"),
        meta.message(sender, wamid(), "audio", id=voice, mime_type="audio/ogg")])
    received = (await notify(api, number, body)).json()["received"]
    graph.media_failures.append(503)  # Meta's media service down once: retried by the outbox
    errors = await drain(rt, shop.id)
    assert errors == ["TemporaryFailure"], errors
    await OutboxEvent.filter(tenant_id=shop.id, handled_at=None).update(next_attempt_at=None)
    assert await drain(rt, shop.id) == []
    ticket_id, _ = await ticket_of(api, shop, received[0]["id"])
    view = await api.data("""query($id: ID!) { ticket(id: $id) { messages(first: 5) { nodes {
        attachments { name contentType size url refused } } } } }""", {"id": ticket_id}, token=shop.token)
    [image], [pdf], [audio] = (m["attachments"] for m in view["ticket"]["messages"]["nodes"])
    assert (image["name"], image["contentType"], image["size"], image["refused"]) == ("image", "image/png", len(PNG),
                                                                                        None)
    downloaded = await api.client.get(image["url"])
    assert downloaded.status_code == 200 and downloaded.content == PNG
    assert (pdf["name"], pdf["refused"], pdf["url"]) == ("rechnung.pdf", "checksum_mismatch", "")
    assert audio["contentType"] == "audio/ogg" and audio["refused"] is None
    assert ACCESS_TOKEN not in str(view)


# --- Outbound ---------------------------------------------------------------------------------

async def test_a_reply_goes_out_and_its_receipts_move_it_to_delivered_then_read_never_back(
        api: Api, rt: Any, shop: TenantFixture, graph: FakeGraph, app_url: str, relay: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    number = await connect(api, shop, graph)
    sender = wa_id()
    with caplog.at_level(logging.DEBUG):
        ticket_id = await conversation(api, shop, number, sender)
        assert (await reply(api, shop, ticket_id, "Ihr Paket kommt morgen an."))["errors"] == []
        assert await drain(rt, shop.id) == []
        [sent] = graph.sent_to(number.phone_number_id)  # the Graph API's request, as Meta documents it
        assert sent == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": sender, "type": "text",
                        "text": {"body": "Ihr Paket kommt morgen an.", "preview_url": False},
                        "biz_opaque_callback_data": sent["biz_opaque_callback_data"]}
        assert graph.requests[-1]["authorization"] == f"Bearer {ACCESS_TOKEN}"
        delivery = await last_delivery(api, shop, ticket_id)
        assert delivery["state"] == "SENT" and delivery["providerMessageId"].startswith("wamid.FAKE")
        sent_id = delivery["providerMessageId"]

        url = f"{app_url}{number.path}"

        async def receipt(state: str, of: str, expected: str = "ignored") -> None:
            body = meta.notification(number.phone_number_id, number.display,
                                     statuses=[meta.status(of, state, sender)])
            response = await meta.post_webhook(url, body, number.app_secret)
            assert response.status_code == 200 and response.json()["received"][0]["status"] == expected

        await receipt("delivered", sent_id)
        delivered = await last_delivery(api, shop, ticket_id)
        assert delivered["state"] == "DELIVERED" and delivered["deliveredAt"] and delivered["readAt"] is None
        await receipt("read", sent_id)
        assert (await last_delivery(api, shop, ticket_id))["state"] == "READ"
        await receipt("read", sent_id, "duplicate")  # Meta's retry of the same status
        await receipt("sent", sent_id)  # late, out of order: read stays read
        await receipt("failed", sent_id)
        final = await last_delivery(api, shop, ticket_id)
        assert final["state"] == "READ" and final["error"] is None and final["readAt"]

        # Statuses of a second reply arriving in the wrong order: read first, then delivered.
        assert (await reply(api, shop, ticket_id, "Und hier ist die Sendungsnummer."))["errors"] == []
        assert await drain(rt, shop.id) == []
        second = (await last_delivery(api, shop, ticket_id))["providerMessageId"]
        await receipt("read", second)
        await receipt("delivered", second)
        overtaken = await last_delivery(api, shop, ticket_id)
        assert overtaken["state"] == "READ" and overtaken["deliveredAt"] and overtaken["readAt"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO
                       or r.name.split(".")[0] in ("core", "modules", "workers"))
    for secret in (sender, "morgen", "Bestellung", ACCESS_TOKEN, number.app_secret):
        assert secret not in logged


async def test_a_receipt_finds_a_send_whose_wamid_was_never_recorded(
        api: Api, rt: Any, shop: TenantFixture, graph: FakeGraph, relay: Any) -> None:
    """Meta took the message and the worker died before writing the wamid down: the status comes
    back with our own id (biz_opaque_callback_data), the delivery is marked, and the retry does
    not send it again."""
    number = await connect(api, shop, graph)
    sender = wa_id()
    ticket_id = await conversation(api, shop, number, sender)
    assert (await reply(api, shop, ticket_id, "Wir prüfen das."))["errors"] == []
    await drain_until_queued(rt, shop.id)
    delivery = await Delivery.get(ticket_id=int(gid.GlobalID.from_id(ticket_id).node_id))
    assert delivery.state == "queued" and delivery.provider_id.startswith("sc-")
    body = meta.notification(number.phone_number_id, number.display,
                             statuses=[meta.status("wamid.LOST1", "sent", sender, ref=delivery.provider_id)])
    assert (await notify(api, number, body)).status_code == 200
    assert (await last_delivery(api, shop, ticket_id))["state"] == "SENT"
    before = len(graph.requests)
    assert await drain(rt, shop.id) == []
    assert len(graph.requests) == before  # not sent twice
    assert (await last_delivery(api, shop, ticket_id))["providerMessageId"] == "wamid.LOST1"


async def drain_until_queued(rt: Any, tenant_id: int) -> None:
    """Handle only the reply_added events: the delivery is queued and its send still owed."""
    from core import events
    from workers.settings import compose

    handlers = compose(rt.modules).event_handlers
    for event_id in await OutboxEvent.filter(tenant_id=tenant_id, topic="aftersales.reply_added",
                                             handled_at=None).values_list("id", flat=True):
        await events.dispatch(str(event_id), handlers)


async def test_a_temporary_failure_is_retried_and_a_permanent_one_is_shown_failed(
        api: Api, rt: Any, shop: TenantFixture, graph: FakeGraph, relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from modules.channels.whatsapp import graph as client

    monkeypatch.setattr(client, "TIMEOUT", 0.3)  # the fake's SLOW answer comes too late
    number = await connect(api, shop, graph)

    async def retried(failure: int | tuple[int, int] | str) -> None:
        ticket_id = await conversation(api, shop, number, wa_id())
        graph.fail_next(failure)
        assert (await reply(api, shop, ticket_id, "Bitte haben Sie etwas Geduld."))["errors"] == []
        assert await drain(rt, shop.id) == ["TemporaryFailure"]
        assert (await last_delivery(api, shop, ticket_id))["state"] == "QUEUED"
        owed = await OutboxEvent.get(tenant_id=shop.id, topic="channels.deliver", handled_at=None)
        assert owed.attempts == 1 and owed.next_attempt_at is not None
        await OutboxEvent.filter(id=owed.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        assert await drain(rt, shop.id) == []
        assert (await last_delivery(api, shop, ticket_id))["state"] == "SENT"

    for failure in (429, 500, (130429, 400), (131056, 400), meta.SLOW):
        await retried(failure)

    for code, status in ((131026, 400), (190, 401)):
        ticket_id = await conversation(api, shop, number, wa_id())
        graph.fail_next((code, status))
        assert (await reply(api, shop, ticket_id, "Diese Nachricht kommt nicht an."))["errors"] == []
        assert await drain(rt, shop.id) == []
        failed = await last_delivery(api, shop, ticket_id)
        assert failed["state"] == "FAILED" and failed["error"] == f"whatsapp_{code}"
        assert failed["response"] == f"(#{code}) {meta.TITLES[code]}"

    # A failure Meta reports later, by status: failed with its code.
    sender = wa_id()
    ticket_id = await conversation(api, shop, number, sender)
    assert (await reply(api, shop, ticket_id, "Hallo?"))["errors"] == []
    assert await drain(rt, shop.id) == []
    sent = (await last_delivery(api, shop, ticket_id))["providerMessageId"]
    body = meta.notification(number.phone_number_id, number.display,
                             statuses=[meta.status(sent, "failed", sender, error=131026)])
    assert (await notify(api, number, body)).status_code == 200
    failed = await last_delivery(api, shop, ticket_id)
    assert failed["state"] == "FAILED" and failed["error"] == "whatsapp_131026"
    assert failed["response"] == "Message undeliverable"


async def test_after_24_hours_a_reply_is_refused_with_a_clear_error_and_a_template_goes_out(
        api: Api, rt: Any, shop: TenantFixture, graph: FakeGraph, relay: Any) -> None:
    number = await connect(api, shop, graph)
    sender = wa_id()
    ticket_id = await conversation(api, shop, number, sender)
    pk = int(gid.GlobalID.from_id(ticket_id).node_id)
    await InboundMessage.filter(ticket_id=pk).update(received_at=datetime.now(UTC) - timedelta(hours=25))
    messages = await TicketMessage.filter(ticket_id=pk).count()
    owed = await OutboxEvent.filter(tenant_id=shop.id, handled_at=None).count()  # (the new ticket's own)

    refused = await reply(api, shop, ticket_id, "Sind Sie noch da?")
    assert refused["message"] is None
    [error] = refused["errors"]
    assert error["code"] == "WHATSAPP_WINDOW_CLOSED" and "template" in error["message"]
    german = (await reply(api, shop, ticket_id, "Sind Sie noch da?", lang="de"))["errors"][0]
    assert german["code"] == "WHATSAPP_WINDOW_CLOSED" and german["message"] != error["message"]
    assert await TicketMessage.filter(ticket_id=pk).count() == messages  # nothing stored, nothing queued
    assert await OutboxEvent.filter(tenant_id=shop.id, handled_at=None).count() == owed
    # An internal note is no reply: it is never held back.
    note = await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "note", "body": "Kunde antwortet nicht."}},
                          token=shop.token)
    assert note["addTicketMessage"]["errors"] == []

    bad = (await api.data(TEMPLATE, {"i": {"ticketId": ticket_id, "name": "Order Update!", "language": "english",
                                           "parameters": [""]}}, token=shop.token))["sendTicketTemplate"]
    assert {(tuple(e["field"]), e["code"]) for e in bad["errors"]} == {
        (("name",), "INVALID_TEMPLATE"), (("language",), "INVALID_LANGUAGE"),
        (("parameters", "0"), "INVALID_PARAMETER")}
    sent = (await api.data(TEMPLATE, {"i": {"ticketId": ticket_id, "name": "order_update", "language": "de",
                                            "parameters": ["1001", "morgen"]}}, token=shop.token))["sendTicketTemplate"]
    assert sent["errors"] == [] and sent["message"]["body"] == "[template order_update (de)] 1001 | morgen"
    assert await drain(rt, shop.id) == []
    request = graph.sent_to(number.phone_number_id)[-1]
    assert request["type"] == "template" and request["to"] == sender and "text" not in request
    assert request["template"] == {"name": "order_update", "language": {"code": "de"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "1001"}, {"type": "text", "text": "morgen"}]}]}
    assert (await last_delivery(api, shop, ticket_id))["state"] == "SENT"

    # The customer answers: the window opens again and a typed reply goes.
    await notify(api, number, text_from(number, sender, wamid(), "Ja, danke!"))
    assert (await reply(api, shop, ticket_id, "Gern geschehen."))["errors"] == []


async def test_a_template_on_a_channel_without_templates_is_refused(
        api: Api, shop: TenantFixture) -> None:
    created = (await api.data(CREATE_CUSTOMER, {"i": {"firstName": "Max", "emails": ["max@example.org"]}},
                              token=shop.token))["createCustomer"]["customer"]
    ticket = await api.data("""mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }""",
                            {"i": {"type": "inquiry", "channel": "phone", "subject": "Call", "body": "He called.",
                                   "customerId": created["id"]}}, token=shop.token)
    data = (await api.data(TEMPLATE, {"i": {"ticketId": ticket["createTicket"]["ticket"]["id"], "name": "hello",
                                            "language": "en"}}, token=shop.token))["sendTicketTemplate"]
    assert [(e["code"], e["field"]) for e in data["errors"]] == [("TEMPLATES_UNSUPPORTED", ["ticketId"])]


async def test_a_signed_body_that_is_no_notification_is_kept_failed_and_an_unknown_status_moves_nothing(
        api: Api, shop: TenantFixture, graph: FakeGraph) -> None:
    number = await connect(api, shop, graph)
    raw = b'{"object": "page", "entry": []}'
    response = await api.client.post(number.path, content=raw, headers=meta.signature(raw, number.app_secret))
    [kept] = response.json()["received"]
    assert response.status_code == 200 and kept["status"] == "failed"
    row = await InboundMessage.get(id=int(kept["id"]))
    assert row.error == "not_whatsapp" and row.size == len(raw)
    body = meta.notification(number.phone_number_id, number.display,
                             statuses=[meta.status("wamid.UNKNOWN", "deleted", wa_id())])
    assert (await notify(api, number, body)).json()["received"][0]["status"] == "ignored"
