"""Machine translation through LibreTranslate's HTTP API, against a local server that speaks it:
the request sent, the answer used, and every failure giving None without an exception."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from core import translation
from core.models import Tenant
from core.settings import Settings, SettingsError
from core.translation.libretranslate import LibreTranslate
from modules.aftersales.services import translation as service
from tests.conftest import Api, TenantFixture
from tests.fixtures.libretranslate_server import FakeLibreTranslate
from tests.fixtures.live_server import free_port, serve

KEY = "lt-secret-key-123"
GERMAN = "Mein Paket ist beschädigt angekommen."


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeLibreTranslate, str]]:
    fake = FakeLibreTranslate(api_key=KEY)
    async with serve(fake.app()) as address:
        yield fake, f"http://{address}"


@pytest.fixture
async def provider(server: tuple[FakeLibreTranslate, str]) -> AsyncIterator[LibreTranslate]:
    lt = LibreTranslate(server[1], KEY, timeout=1.0)
    yield lt
    await lt.aclose()


@pytest.fixture
async def installed(provider: LibreTranslate) -> AsyncIterator[LibreTranslate]:
    """The provider as this process's translator (what Runtime.start does from the settings)."""
    translation.install(provider)
    yield provider
    await translation.uninstall(provider)


async def test_sends_libretranslates_request_and_returns_the_translation(
        server: tuple[FakeLibreTranslate, str], provider: LibreTranslate) -> None:
    fake, _ = server
    assert await provider.translate(GERMAN, "de", "en") == "My package arrived damaged."
    assert fake.requests == [{"q": GERMAN, "source": "de", "target": "en", "format": "text", "api_key": KEY}]
    languages = await provider.languages()
    assert {lang.code for lang in languages} == {"en", "de", "es", "zh-Hans"}
    assert fake.language_requests == 1  # the language list is cached


async def test_maps_language_tags_to_the_servers_codes(
        server: tuple[FakeLibreTranslate, str], provider: LibreTranslate) -> None:
    fake, _ = server
    assert await provider.translate("Hello", "en", "zh_Hans") == "你好"
    assert await provider.translate("Hello", "EN", "zh") == "你好"
    assert [r["target"] for r in fake.requests] == ["zh-Hans", "zh-Hans"]
    assert [r["source"] for r in fake.requests] == ["en", "en"]
    # A language the server lacks: no request at all.
    assert await provider.translate("Hello", "en", "tlh") is None
    assert len(fake.requests) == 2


async def test_unknown_source_language_is_detected_by_the_server(
        server: tuple[FakeLibreTranslate, str], installed: LibreTranslate) -> None:
    fake, _ = server
    assert await service.translate(1, "Hallo", "", "en") == "Hello"
    assert fake.requests[-1]["source"] == "auto"


async def test_no_api_key_is_sent_when_none_is_configured(server: tuple[FakeLibreTranslate, str]) -> None:
    fake, url = server
    fake.api_key = None
    lt = LibreTranslate(url)
    try:
        assert await lt.translate("Hallo", "de", "en") == "Hello"
    finally:
        await lt.aclose()
    assert "api_key" not in fake.requests[-1]


@pytest.mark.parametrize("mode", ["500", "bad-json", "no-text"])
async def test_a_failing_server_gives_none(server: tuple[FakeLibreTranslate, str], provider: LibreTranslate,
                                           mode: str, caplog: pytest.LogCaptureFixture) -> None:
    server[0].mode = mode
    with caplog.at_level(logging.INFO):
        assert await provider.translate(GERMAN, "de", "en") is None
    assert caplog.records, "the failure is logged"
    assert GERMAN not in caplog.text and KEY not in caplog.text


async def test_a_wrong_api_key_gives_none(server: tuple[FakeLibreTranslate, str]) -> None:
    lt = LibreTranslate(server[1], "wrong-key")
    try:
        assert await lt.translate(GERMAN, "de", "en") is None
    finally:
        await lt.aclose()


async def test_a_timeout_gives_none(server: tuple[FakeLibreTranslate, str]) -> None:
    server[0].mode = "slow"
    lt = LibreTranslate(server[1], KEY, timeout=0.3)
    try:
        assert await lt.translate(GERMAN, "de", "en") is None
    finally:
        await lt.aclose()


async def test_a_server_that_is_down_gives_none(caplog: pytest.LogCaptureFixture) -> None:
    lt = LibreTranslate(f"http://127.0.0.1:{free_port()}", KEY, timeout=1.0)
    try:
        with caplog.at_level(logging.INFO):
            assert await lt.translate(GERMAN, "de", "en") is None
            assert await lt.languages() == []
    finally:
        await lt.aclose()
    assert "ConnectError" in caplog.text
    assert GERMAN not in caplog.text and KEY not in caplog.text


async def test_service_skips_same_language_empty_text_and_missing_provider(
        server: tuple[FakeLibreTranslate, str], installed: LibreTranslate) -> None:
    fake, _ = server
    assert await service.translate(1, "Hallo", "de", "de") is None
    assert await service.translate(1, "Hallo", "de", "de-AT") is None
    assert await service.translate(1, "   ", "de", "en") is None
    assert fake.requests == []
    assert await service.translate(1, "Hallo", "de", "en") == "Hello"
    translation.install(None)  # a runtime without a provider on top
    try:
        assert await service.translate(1, "Hallo", "de", "en") is None
    finally:
        await translation.uninstall(None)
    assert len(fake.requests) == 1


def test_service_language_comparison() -> None:
    assert service.same_language("de", "de-AT") and service.same_language("zh_Hans", "zh-hans")
    assert not service.same_language("zh-Hans", "zh-Hant") and not service.same_language("de", "en")


BASE = {"SELLERCARE_ENV": "test", "SECRET_KEY": "s" * 48}


def test_settings_configure_the_provider(tmp_path: object) -> None:
    settings = Settings.from_env({**BASE, "TRANSLATION_PROVIDER": "libretranslate",
                                  "LIBRETRANSLATE_URL": "http://lt.internal:5000/",
                                  "LIBRETRANSLATE_API_KEY": KEY, "TRANSLATION_TIMEOUT": "3"})
    assert (settings.translation_provider, settings.libretranslate_url) == ("libretranslate",
                                                                            "http://lt.internal:5000")
    assert settings.translation_timeout == 3.0 and settings.libretranslate_api_key == KEY
    assert KEY not in repr(settings)
    provider = translation.build(settings)
    assert isinstance(provider, LibreTranslate) and KEY not in repr(provider)
    assert translation.build(Settings.from_env(BASE)) is None


@pytest.mark.parametrize(("env", "message"), [
    ({"TRANSLATION_PROVIDER": "deepl"}, "TRANSLATION_PROVIDER"),
    ({"TRANSLATION_PROVIDER": "libretranslate"}, "LIBRETRANSLATE_URL"),
    ({"TRANSLATION_PROVIDER": "libretranslate", "LIBRETRANSLATE_URL": "ftp://x"}, "LIBRETRANSLATE_URL"),
    ({"TRANSLATION_PROVIDER": "libretranslate", "LIBRETRANSLATE_URL": "http://u:p@x"}, "credentials"),
    ({"TRANSLATION_PROVIDER": "libretranslate", "LIBRETRANSLATE_URL": "http://x",
      "TRANSLATION_TIMEOUT": "0"}, "TRANSLATION_TIMEOUT"),
    ({"TRANSLATION_PROVIDER": "libretranslate", "LIBRETRANSLATE_URL": "http://x",
      "TRANSLATION_TIMEOUT": "soon"}, "TRANSLATION_TIMEOUT"),
])
def test_settings_refuse_a_bad_translation_configuration(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as error:
        Settings.from_env({**BASE, **env})
    assert "p@x" not in str(error.value)


CREATE = """mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } errors { code } } }"""
ADD = """mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) {
  message { kind body language translatedBody translatedLanguage } errors { code } } }"""
MESSAGES = """query($id: ID!) { node(id: $id) { ... on Ticket { messages(first: 10) { edges { node {
  kind body language translatedBody translatedLanguage } } } } } }"""


async def test_ticket_messages_keep_the_original_and_store_the_translation(
        api: Api, tenant: TenantFixture, server: tuple[FakeLibreTranslate, str], installed: LibreTranslate) -> None:
    await Tenant.filter(id=tenant.id).update(default_locale="en")
    created = (await api.data(CREATE, {"i": {"type": "complaint", "channel": "email", "subject": "Paket",
                                             "body": GERMAN, "language": "de"}}, token=tenant.token))["createTicket"]
    assert created["errors"] == []
    ticket_id = created["ticket"]["id"]
    reply = (await api.data(ADD, {"i": {"ticketId": ticket_id, "kind": "outbound",
                                        "body": "We will send a replacement today."}}, token=tenant.token))
    assert reply["addTicketMessage"]["message"] == {
        "kind": "outbound", "body": "We will send a replacement today.", "language": "en",
        "translatedBody": "Wir senden heute einen Ersatz.", "translatedLanguage": "de"}
    note = (await api.data(ADD, {"i": {"ticketId": ticket_id, "kind": "note", "body": "Check stock"}},
                           token=tenant.token))["addTicketMessage"]["message"]
    assert note["translatedBody"] is None  # internal notes are never sent out
    messages = [e["node"] for e in (await api.data(MESSAGES, {"id": ticket_id}, token=tenant.token))
                ["node"]["messages"]["edges"]]
    assert messages[0] == {"kind": "inbound", "body": GERMAN, "language": "de",
                           "translatedBody": "My package arrived damaged.", "translatedLanguage": "en"}
    assert [(r["source"], r["target"]) for r in server[0].requests] == [("de", "en"), ("en", "de")]


async def test_a_message_is_stored_untranslated_when_the_provider_fails(
        api: Api, tenant: TenantFixture, server: tuple[FakeLibreTranslate, str], installed: LibreTranslate) -> None:
    await Tenant.filter(id=tenant.id).update(default_locale="en")
    server[0].mode = "500"
    created = (await api.data(CREATE, {"i": {"type": "complaint", "channel": "email", "subject": "Paket",
                                             "body": GERMAN, "language": "de"}}, token=tenant.token))["createTicket"]
    assert created["errors"] == []
    (message,) = [e["node"] for e in (await api.data(MESSAGES, {"id": created["ticket"]["id"]}, token=tenant.token))
                  ["node"]["messages"]["edges"]]
    assert message["body"] == GERMAN and message["translatedBody"] is None and message["translatedLanguage"] is None
    assert len(server[0].requests) == 1
