"""The web contact form over HTTP: a public submission becomes a ticket for the customer matched
by e-mail; the honeypot, the signed "form opened at" stamp, the size limit and the rate limits
(per client address, per form) refuse abuse with translated errors, storing nothing."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry import relay as gid

from core.models import LoginFailure
from modules.aftersales.models import Ticket
from modules.channels.form import http as form_http
from modules.channels.form import stamp
from modules.channels.models import ChannelAccount, InboundMessage
from tests.conftest import Api, TenantFixture, make_tenant
from tests.modules.test_channels_email import (  # noqa: F401 - smtp is a fixture
    CREATE_CUSTOMER,
    REPLY,
    UPDATE_CHANNEL,
    Mailbox,
    drain,
    make_channel,
    smtp,
    ticket_of,
)

PER_ADDRESS = form_http.PER_ADDRESS  # the default, before a fixture raises it
CREATE_ORDER = """mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { number } errors { code } } }"""
CREATE_FORM = """mutation($i: CreateChannelInput!) { createChannel(input: $i) {
  channel { id kind formPath inboundPath credentialsSet } inboundToken errors { code field message } } }"""


@dataclass
class Form:
    id: str
    path: str
    public_id: str
    inbound_path: str
    token: str


@pytest.fixture(scope="module")
async def shop(api: Api, rt: Any) -> TenantFixture:
    return await make_tenant(api, rt)


@pytest.fixture(autouse=True)
async def fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no submission counted (the counters outlive a test, as in production),
    and one client address may try more than five times; the rate-limit test sets its own limits."""
    await LoginFailure.filter(key__startswith="form:").delete()
    monkeypatch.setattr(form_http, "PER_ADDRESS", 1000)


async def make_form(api: Api, t: TenantFixture) -> Form:
    data = (await api.data(CREATE_FORM, {"i": {"kind": "web_form", "name": f"Contact {uuid.uuid4().hex[:6]}",
                                               "address": "support@shop.test"}}, token=t.token))["createChannel"]
    assert data["errors"] == [] and data["channel"]["credentialsSet"] == [], data
    path = data["channel"]["formPath"]
    return Form(data["channel"]["id"], path, path.rsplit("/", 1)[1], data["channel"]["inboundPath"],
                data["inboundToken"])


def opened(rt: Any, form: Form, seconds_ago: int = 10) -> str:
    """A stamp as GET would have issued it `seconds_ago` (a test does not wait for a person)."""
    return stamp.issue(rt.settings.secret_key, form.public_id, int(time.time()) - seconds_ago)


def submission(token: str, **extra: Any) -> dict[str, Any]:
    return {"name": "Anna Berg", "email": "anna@example.org", "subject": "Wo ist mein Paket?",
            "message": "Hallo, mein Paket ist noch nicht angekommen. Können Sie bitte nachsehen?",
            "website": "", "started_at_token": token, **extra}


async def send(api: Api, form: Form, body: Any, **headers: str) -> Any:
    return await api.client.post(form.path, json=body, headers=headers)


async def stored(form: Form) -> int:
    account = await ChannelAccount.get(public_id=form.public_id)
    return await InboundMessage.filter(account_id=account.id).count()


async def test_a_submission_opens_a_ticket_for_the_matching_customer_once_per_stamp(
        api: Api, rt: Any, shop: TenantFixture) -> None:
    customer = (await api.data(CREATE_CUSTOMER, {"i": {"firstName": "Anna", "emails": ["Anna@Example.org"]}},
                               token=shop.token))["createCustomer"]["customer"]
    order = await api.data(CREATE_ORDER, {"i": {"customerId": customer["id"], "number": "123-1234567-1234567",
                                                "currency": "EUR", "lines": [{"sku": "SHOE-1", "unitPrice": "10"}]}},
                           token=shop.token)
    assert order["createOrder"]["errors"] == []
    form = await make_form(api, shop)
    page = await api.client.get(form.path)
    assert page.status_code == 200 and page.json()["min_seconds"] == 3, page.text
    assert page.headers["access-control-allow-origin"] == "*"
    body = submission(opened(rt, form), order_number="123-1234567-1234567", language="de", submission_id="s-1")
    response = await send(api, form, body)
    assert response.status_code == 200 and response.json() == {"status": "ticket_created"}, response.text
    row = await InboundMessage.filter(account__public_id=form.public_id).first()
    assert row is not None
    ticket = await ticket_of(api, shop, str(row.id))
    assert ticket["customer"]["id"] == customer["id"] and ticket["channel"] == "web_form"
    assert ticket["subject"] == "Wo ist mein Paket?" and ticket["language"] == "de"
    assert "123-1234567-1234567" in ticket["messages"]["nodes"][0]["body"]
    linked = await Ticket.get(id=row.ticket_id)
    assert linked.order_id is not None  # the customer's own order, by the number they typed

    again = await send(api, form, body)  # a double click, a retry after a timeout
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    # The stamp is single-use: replayed with other content, it opens nothing either.
    replay = await send(api, form, {**body, "subject": "Buy cheap watches", "submission_id": "s-2"})
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    assert await Ticket.filter(tenant_id=shop.id, channel="web_form").count() == 1
    assert await stored(form) == 1
    # Someone else quoting Anna's order number gets a ticket, never her order.
    stranger = await send(api, form, submission(opened(rt, form), email="eve@example.net",
                                                 order_number="123-1234567-1234567"))
    assert stranger.json()["status"] == "ticket_created"
    theirs = await InboundMessage.filter(account__public_id=form.public_id).order_by("-id").first()
    assert theirs is not None and (await Ticket.get(id=theirs.ticket_id)).order_id is None


async def test_bad_fields_are_refused_with_translated_errors_and_paths(api: Api, rt: Any, shop: TenantFixture) -> None:
    form = await make_form(api, shop)
    bad = submission(opened(rt, form), email="not-an-address", subject="", message=7, language="xx-notalang")
    response = await send(api, form, bad, **{"Accept-Language": "de"})
    assert response.status_code == 400, response.text
    data = response.json()
    assert data["code"] == "INVALID_INPUT" and data["message"] != "Some fields need correcting."
    assert {tuple(e["field"]): e["code"] for e in data["errors"]} == {
        ("email",): "INVALID_EMAIL", ("subject",): "REQUIRED", ("message",): "INVALID_TYPE",
        ("language",): "INVALID_LANGUAGE"}, data
    not_json = await api.client.post(form.path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["code"] == "INVALID_INPUT"
    assert await stored(form) == 0


async def test_the_honeypot_and_too_fast_forged_expired_or_foreign_stamps_are_refused(
        api: Api, rt: Any, shop: TenantFixture) -> None:
    form, other = await make_form(api, shop), await make_form(api, shop)
    honeypot = await send(api, form, submission(opened(rt, form), website="http://spam.example"))
    assert honeypot.status_code == 400 and honeypot.json()["errors"][0]["field"] == ["website"]
    fresh = (await api.client.get(form.path)).json()["started_at_token"]  # posted at once: a bot
    too_fast = await send(api, form, submission(fresh))
    assert too_fast.status_code == 400 and too_fast.json()["code"] == "TOO_FAST"
    at, nonce, signature = opened(rt, form).split(".")
    forged = [f"{int(at) - 100}.{nonce}.{signature}", f"{at}.{nonce}.{'0' * 64}", f"{at}.{'1' * 32}.{signature}",
              f"{at}.{signature}", "", "garbage",
              stamp.issue("another secret", form.public_id, int(at)),
              opened(rt, form, seconds_ago=stamp.MAX_AGE + 60),  # expired
              opened(rt, other)]  # made for another form
    for token in forged:
        response = await send(api, form, submission(token), **{"Accept-Language": "fr"})
        assert response.status_code == 400, (token, response.text)
        code = response.json()["code"]
        assert code == ("INVALID_INPUT" if token == "" else "FORM_EXPIRED"), (token, code)
    assert response.json()["message"] != "This form has expired: reload the page and send it again."  # French
    assert await stored(form) == 0


async def test_a_form_for_known_customers_only_refuses_strangers_in_their_language(
        api: Api, rt: Any, shop: TenantFixture) -> None:
    form = await make_form(api, shop)
    changed = await api.data(UPDATE_CHANNEL, {"i": {"channelId": form.id, "acceptFrom": "KNOWN_CUSTOMERS"}},
                             token=shop.token)
    assert changed["updateChannel"]["errors"] == []
    response = await send(api, form, submission(opened(rt, form), email=f"s{uuid.uuid4().hex[:6]}@example.net"),
                          **{"Accept-Language": "de"})
    assert response.status_code == 403 and response.json()["code"] == "UNKNOWN_SENDER", response.text
    assert response.json()["message"] != ("This form takes messages from our customers only: "
                                          "use the e-mail address you ordered with.")
    assert (await InboundMessage.filter(account__public_id=form.public_id).first()).error == "unknown_sender"


async def test_a_submission_past_64_kb_is_refused(api: Api, rt: Any, shop: TenantFixture) -> None:
    form = await make_form(api, shop)
    response = await send(api, form, submission(opened(rt, form), message="x" * (65 * 1024)))
    assert response.status_code == 413 and response.json()["code"] == "TOO_LARGE"
    assert await stored(form) == 0


async def test_rate_limits_per_client_address_and_per_form(
        api: Api, rt: Any, shop: TenantFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (PER_ADDRESS, form_http.ADDRESS_WINDOW, form_http.PER_FORM) == (5, 600, 200)  # as documented
    monkeypatch.setattr(form_http, "PER_ADDRESS", PER_ADDRESS)
    first, second = await make_form(api, shop), await make_form(api, shop)
    for i in range(form_http.PER_ADDRESS):  # every attempt counts, across the address's forms
        target = first if i % 2 else second
        assert (await send(api, target, submission(opened(rt, target)))).status_code == 200
    limited = await send(api, first, submission(opened(rt, first)), **{"Accept-Language": "ja"})
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED", limited.text
    assert 0 < int(limited.headers["retry-after"]) <= form_http.ADDRESS_WINDOW

    await LoginFailure.filter(key__startswith="form:").delete()
    monkeypatch.setattr(form_http, "PER_ADDRESS", 1000)
    monkeypatch.setattr(form_http, "PER_FORM", 3)  # 200 by default
    for _ in range(3):
        assert (await send(api, first, submission(opened(rt, first)))).status_code == 200
    assert (await send(api, first, submission(opened(rt, first)))).status_code == 429
    assert (await send(api, second, submission(opened(rt, second)))).status_code == 200  # its own budget


async def test_another_tenants_form_never_reaches_this_tenant(api: Api, rt: Any, shop: TenantFixture) -> None:
    other_shop = await make_tenant(api, rt)
    mine, theirs = await make_form(api, shop), await make_form(api, other_shop)
    response = await send(api, theirs, submission(opened(rt, theirs), submission_id="x-1"))
    assert response.json()["status"] == "ticket_created"
    row = await InboundMessage.filter(account__public_id=theirs.public_id).first()
    assert row is not None and row.tenant_id == other_shop.id
    assert (await Ticket.get(id=row.ticket_id)).tenant_id == other_shop.id
    # Their stamp on my form, and my form posted with a made-up id, do nothing here.
    assert (await send(api, mine, submission(opened(rt, theirs)))).json()["code"] == "FORM_EXPIRED"
    unknown = await api.client.post(f"/channels/form/{uuid.uuid4()}", json=submission(opened(rt, mine)))
    assert unknown.status_code == 404 and unknown.json()["code"] == "NOT_FOUND"
    assert (await api.client.get("/channels/form/not-a-uuid")).status_code == 404
    # The e-mail webhook's path does not open a form without its token.
    assert (await api.client.post(f"/channels/web_form/{mine.public_id}/inbound", content=b"{}",
                                  headers={"X-Channel-Token": "wrong"})).status_code == 403
    assert await stored(mine) == 0
    # With the channel's token (a server of the shop's own), the same JSON needs no stamp.
    for expected in ("ticket_created", "duplicate"):  # its submission_id makes a retry one ticket
        trusted = await api.client.post(mine.inbound_path, headers={"X-Channel-Token": mine.token},
                                        content=json.dumps(submission("", submission_id="shop-42")).encode())
        assert trusted.status_code == 200 and trusted.json()["status"] == expected, trusted.text


async def test_a_switched_off_form_answers_503_and_browsers_may_post_from_the_storefront(
        api: Api, rt: Any, shop: TenantFixture) -> None:
    form = await make_form(api, shop)
    off = await api.data(UPDATE_CHANNEL, {"i": {"channelId": form.id, "enabled": False}}, token=shop.token)
    assert off["updateChannel"]["channel"]["enabled"] is False
    for response in (await api.client.get(form.path), await send(api, form, submission(opened(rt, form)))):
        assert response.status_code == 503 and response.headers["retry-after"] == "600"
        assert response.json()["code"] == "CHANNEL_DISABLED"
    preflight = await api.client.options(form.path, headers={"Origin": "https://shop.example",
                                                             "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and "POST" in preflight.headers["access-control-allow-methods"]


async def test_no_contact_data_reaches_the_logs(
        api: Api, rt: Any, shop: TenantFixture, caplog: pytest.LogCaptureFixture) -> None:
    form = await make_form(api, shop)
    body = submission(opened(rt, form), name="Zora Quill", email="zora.quill@example.org")
    with caplog.at_level(logging.INFO):  # (DEBUG is the ORM's SQL trace, never on in production)
        assert (await send(api, form, body)).status_code == 200
        assert (await send(api, form, {**body, "website": "x"})).status_code == 400
        assert (await send(api, form, {**body, "started_at_token": "1.forged"})).status_code == 400
    assert caplog.records  # the requests were logged, with none of this
    assert "zora" not in caplog.text.lower() and "Quill" not in caplog.text


async def test_a_reply_on_a_form_ticket_goes_out_by_email_through_the_tenants_mailbox(
        api: Api, rt: Any, smtp: tuple[Mailbox, int], relay: Any) -> None:  # noqa: F811 - the fixture
    """A form has no way back of its own: the reply goes to the address the buyer gave, through the
    tenant's first enabled mailbox; without one, it fails with no_channel and says so."""
    lone = await make_tenant(api, rt)
    form = await make_form(api, lone)
    assert (await send(api, form, submission(opened(rt, form)))).json()["status"] == "ticket_created"
    row = await InboundMessage.filter(account__public_id=form.public_id).first()
    assert row is not None
    ticket_id = str(gid.GlobalID("Ticket", str(row.ticket_id)))
    sent = await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": "Thank you!"}},
                          token=lone.token)
    assert sent["addTicketMessage"]["errors"] == []
    assert await drain(rt, lone.id) == []
    delivery = (await ticket_of(api, lone, str(row.id)))["messages"]["nodes"][-1]["delivery"]
    assert delivery["state"] == "FAILED" and delivery["error"] == "no_channel", delivery
    box, port = smtp
    await make_channel(api, lone, port)  # a mailbox now
    before = len(box.received)
    again = await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": "Your parcel left."}},
                           token=lone.token)
    assert again["addTicketMessage"]["errors"] == []
    assert await drain(rt, lone.id) == []
    assert len(box.received) == before + 1
    out = box.received[-1]
    assert out["To"].addresses[0].addr_spec == "anna@example.org"  # the address the buyer gave
    assert out["From"].addresses[0].addr_spec == "support@shop.test" and out.get("In-Reply-To") is None
    assert out.get_content().strip() == "Your parcel left."
    delivery = (await ticket_of(api, lone, str(row.id)))["messages"]["nodes"][-1]["delivery"]
    assert delivery["state"] == "SENT" and delivery["providerMessageId"] == out["Message-ID"]


