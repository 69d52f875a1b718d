"""A partner's channel kind plugs in with no core edit: a module declaring `channels=` (here a chat
service whose webhook posts JSON) gets accounts, the inbound webhook, dedupe, threading by its
conversation id, tickets and reply delivery from the channels module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from strawberry import relay as gid

from core import channels
from core.channels import Account, ChannelKind, CredentialField, Inbound, Outbound, ParseError, Sent
from core.registry import Module, RegistryError
from modules.channels.models import InboundMessage
from tests.conftest import Api, TenantFixture
from tests.modules.test_channels_email import CREATE_CHANNEL, REPLY, TICKET, drain

sent: list[tuple[Account, Outbound]] = []


def parse(raw: bytes) -> Inbound:
    try:
        event = json.loads(raw)
        return Inbound(provider_id=event["id"], sender=event["email"], sender_name=event.get("name", ""),
                       subject=event["text"][:60], body=event["text"], thread_ids=(event["conversation"],))
    except (ValueError, KeyError, TypeError):
        raise ParseError("not_a_chat_event") from None


async def send(account: Account, message: Outbound) -> Sent:
    sent.append((account, message))
    return Sent(response="accepted")


CHATLINE = ChannelKind(name="chatline", label="Chatline", ticket_channel="chat",
                       credentials=(CredentialField("api_key", secret=True, required=True),),
                       parse=parse, send=send, new_provider_id=lambda account: f"out-{len(sent)}")
PARTNER = Module(name="acme_chat", version="1.0.0", summary="Chatline", package="tests",
                 depends=("channels",), channels=f"{__name__}:KINDS", has_models=False)
KINDS = (CHATLINE,)


@pytest.fixture
def chatline() -> Iterator[None]:
    """The partner's module installed beside the others, as Runtime.start collects kinds."""
    before = {k.name: k for k in channels.kinds()}
    channels.install({**before, **channels.collect([PARTNER])})
    yield
    channels.install(before)


def test_two_modules_defining_one_kind_is_an_error_naming_both() -> None:
    twin = Module(name="acme_twin", version="1", summary="", package="tests", channels=f"{__name__}:KINDS")
    with pytest.raises(RegistryError, match="'acme_chat' and 'acme_twin'"):
        channels.collect([PARTNER, twin])


async def test_a_partners_kind_gets_tickets_and_delivers_replies(
        api: Api, rt: Any, tenant: TenantFixture, chatline: None, relay: Any) -> None:
    created = (await api.data(CREATE_CHANNEL, {"i": {
        "kind": "chatline", "name": "Chat", "address": "chat@shop.test", "credentials": {"api_key": "k-123"}}},
        token=tenant.token))["createChannel"]
    assert created["errors"] == [] and created["channel"]["credentialsSet"] == ["api_key"]
    path, token = created["channel"]["inboundPath"], created["inboundToken"]
    assert path.startswith("/channels/chatline/")

    async def post(event: dict[str, str]) -> dict[str, str]:
        response = await api.client.post(path, content=json.dumps(event), headers={"X-Channel-Token": token})
        assert response.status_code == 200, response.text
        return response.json()

    first = await post({"id": "m1", "email": "kim@example.org", "conversation": "c-9", "text": "Is it in stock?"})
    assert first["status"] == "ticket_created"
    assert (await post({"id": "m1", "email": "kim@example.org", "conversation": "c-9", "text": "x"}))["status"] \
        == "duplicate"
    assert (await post({"id": "m2", "email": "kim@example.org", "conversation": "m1", "text": "Hello?"}))["status"] \
        == "threaded"
    assert (await post({"nope": 1}))["status"] == "failed"

    row = await InboundMessage.get(id=int(first["id"]))
    ticket_id = str(gid.GlobalID("Ticket", str(row.ticket_id)))
    reply = await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": "Yes, 3 left."}},
                           token=tenant.token)
    assert reply["addTicketMessage"]["errors"] == []
    assert await drain(rt, tenant.id) == []
    account, message = sent[-1]
    assert account.credentials == {"api_key": "k-123"} and message.to == "kim@example.org"
    assert message.body == "Yes, 3 left." and message.in_reply_to == "m2" and message.references == ("m1", "m2")
    view = (await api.data(TICKET, {"id": ticket_id}, token=tenant.token))["ticket"]
    assert view["channel"] == "chat"
    assert view["messages"]["nodes"][-1]["delivery"]["state"] == "SENT"
