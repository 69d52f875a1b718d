"""A reply keeps the language it was written in, over HTTP against a server that speaks
LibreTranslate: the applied macro variant's language, else the `language` the client gives, else
the one detected, and the tenant's only when the text is too short to tell. It is machine-translated
into the ticket's language only when the two differ (by primary language: de-AT is de), with that
language as the source, never English by assumption."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core import translation
from core.models import Tenant
from core.translation.libretranslate import LibreTranslate
from tests.conftest import Api, TenantFixture
from tests.fixtures.libretranslate_server import FakeLibreTranslate
from tests.fixtures.live_server import serve

KEY = "lt-key-reply-language"
GERMAN_TICKET = "Mein Paket ist beschädigt angekommen."
GERMAN_REPLY = "Wir senden Ihnen heute einen Ersatz, vielen Dank für Ihre Geduld."
ENGLISH_REPLY = "We will send a replacement today."

CREATE = """mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id language } errors { code } } }"""
ADD = """mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) {
  message { kind body language translatedBody translatedLanguage } errors { code field } } }"""
CREATE_MACRO = """mutation($i: CreateMacroInput!) { createMacro(input: $i) { macro { id } errors { code } } }"""
APPLY = """mutation($i: ApplyMacroInput!) { applyMacro(input: $i) {
  message { body language translatedBody translatedLanguage } errors { code field } } }"""


@pytest.fixture
async def lt() -> AsyncIterator[FakeLibreTranslate]:
    """A LibreTranslate-speaking server installed as this process's translator."""
    fake = FakeLibreTranslate(api_key=KEY)
    async with serve(fake.app()) as address:
        provider = LibreTranslate(f"http://{address}", KEY, timeout=2.0)
        translation.install(provider)
        try:
            yield fake
        finally:
            await translation.uninstall(provider)
            await provider.aclose()


async def german_ticket(api: Api, t: TenantFixture, fake: FakeLibreTranslate, tenant_locale: str = "en") -> str:
    await Tenant.filter(id=t.id).update(default_locale=tenant_locale)
    data = (await api.data(CREATE, {"i": {"type": "complaint", "channel": "email", "subject": "Paket",
                                          "body": GERMAN_TICKET, "language": "de"}}, token=t.token))["createTicket"]
    assert data["errors"] == [] and data["ticket"]["language"] == "de"
    fake.requests.clear()  # the customer's message, translated for the agents: not what is tested here
    return str(data["ticket"]["id"])


async def reply(api: Api, t: TenantFixture, ticket: str, body: str, **extra: Any) -> dict[str, Any]:
    data = (await api.data(ADD, {"i": {"ticketId": ticket, "kind": "outbound", "body": body, **extra}},
                           token=t.token))["addTicketMessage"]
    assert data["errors"] == [], data
    return dict(data["message"])


def sent(fake: FakeLibreTranslate) -> list[tuple[str, str]]:
    return [(r["source"], r["target"]) for r in fake.requests]


async def test_a_german_macro_variant_on_a_german_ticket_is_german_and_not_translated(
        api: Api, tenant: TenantFixture, lt: FakeLibreTranslate) -> None:
    ticket = await german_ticket(api, tenant, lt)
    created = (await api.data(CREATE_MACRO, {"i": {"name": "Ersatz", "variants": [
        {"language": "en", "body": ENGLISH_REPLY}, {"language": "de", "body": GERMAN_REPLY}]}},
        token=tenant.token))["createMacro"]
    applied = (await api.data(APPLY, {"i": {"macroId": created["macro"]["id"], "ticketId": ticket}},
                              token=tenant.token))["applyMacro"]
    assert applied["errors"] == []
    assert applied["message"] == {"body": GERMAN_REPLY, "language": "de", "translatedBody": None,
                                  "translatedLanguage": None}
    assert lt.requests == []  # nothing sent to machine translation


async def test_an_english_only_macro_on_a_german_ticket_is_translated_from_english(
        api: Api, tenant: TenantFixture, lt: FakeLibreTranslate) -> None:
    ticket = await german_ticket(api, tenant, lt, tenant_locale="fr")
    created = (await api.data(CREATE_MACRO, {"i": {"name": "Replacement", "variants": [
        {"language": "en", "body": ENGLISH_REPLY}]}}, token=tenant.token))["createMacro"]
    applied = (await api.data(APPLY, {"i": {"macroId": created["macro"]["id"], "ticketId": ticket}},
                              token=tenant.token))["applyMacro"]
    assert applied["message"] == {"body": ENGLISH_REPLY, "language": "en",
                                  "translatedBody": "Wir senden heute einen Ersatz.", "translatedLanguage": "de"}
    assert sent(lt) == [("en", "de")]


async def test_an_agent_writing_german_on_a_german_ticket_is_german_and_not_translated(
        api: Api, tenant: TenantFixture, lt: FakeLibreTranslate) -> None:
    ticket = await german_ticket(api, tenant, lt)
    assert await reply(api, tenant, ticket, GERMAN_REPLY) == {
        "kind": "outbound", "body": GERMAN_REPLY, "language": "de", "translatedBody": None,
        "translatedLanguage": None}
    assert lt.requests == []


async def test_an_agent_writing_english_on_a_german_ticket_is_translated_from_english(
        api: Api, tenant: TenantFixture, lt: FakeLibreTranslate) -> None:
    # The tenant works in French: the reply is still English, and sent to translation as English.
    ticket = await german_ticket(api, tenant, lt, tenant_locale="fr")
    assert await reply(api, tenant, ticket, ENGLISH_REPLY) == {
        "kind": "outbound", "body": ENGLISH_REPLY, "language": "en",
        "translatedBody": "Wir senden heute einen Ersatz.", "translatedLanguage": "de"}
    assert sent(lt) == [("en", "de")]


async def test_an_explicit_language_is_honoured(api: Api, tenant: TenantFixture, lt: FakeLibreTranslate) -> None:
    ticket = await german_ticket(api, tenant, lt)
    # Too short to detect, said to be Austrian German: the ticket's language, nothing to translate.
    assert await reply(api, tenant, ticket, "Danke!", language="de_AT") == {
        "kind": "outbound", "body": "Danke!", "language": "de-AT", "translatedBody": None,
        "translatedLanguage": None}
    assert lt.requests == []
    # Said to be Spanish: translated from Spanish.
    message = await reply(api, tenant, ticket, "Sí", language="es")
    assert (message["language"], message["translatedLanguage"]) == ("es", "de")
    assert sent(lt) == [("es", "de")]
    # The customer's own message in another language than the ticket's: translated from it for the agents.
    inbound = (await api.data(ADD, {"i": {"ticketId": ticket, "kind": "inbound", "body": "Hallo", "language": "de"}},
                              token=tenant.token))["addTicketMessage"]["message"]
    assert (inbound["language"], inbound["translatedBody"]) == ("de", "Hello")
    assert sent(lt)[-1] == ("de", "en")


async def test_a_reply_too_short_to_detect_is_in_the_tenants_language(
        api: Api, tenant: TenantFixture, lt: FakeLibreTranslate) -> None:
    ticket = await german_ticket(api, tenant, lt, tenant_locale="es")
    message = await reply(api, tenant, ticket, "OK")
    assert (message["language"], message["translatedLanguage"]) == ("es", "de")
    assert sent(lt) == [("es", "de")]


async def test_an_unknown_language_is_refused(api: Api, tenant: TenantFixture, lt: FakeLibreTranslate) -> None:
    ticket = await german_ticket(api, tenant, lt)
    data = (await api.data(ADD, {"i": {"ticketId": ticket, "kind": "outbound", "body": GERMAN_REPLY,
                                       "language": "not a language"}}, token=tenant.token))["addTicketMessage"]
    assert data["message"] is None
    assert data["errors"] == [{"code": "INVALID_LANGUAGE", "field": ["language"]}]
    assert lt.requests == []
