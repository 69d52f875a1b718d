"""Translations: complete catalogs, Accept-Language negotiation, translated errors over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from core.i18n import negotiate, register_domain, translate
from scripts.i18n import Domain, domains, template
from tests.conftest import Api, TenantFixture

TRANSLATED = ("zh_Hans", "es", "de", "fr", "ja")
DOMAINS = {d.name: d for d in domains()}
ROLE_NAME_MSGID = ("A role name has 2 to 64 characters: lowercase letters, digits, '-' or '_', "
                   "starting with a letter.")
CREATE_ROLE = 'mutation { createRole(input: {name: "x"}) { errors { code message } } }'
PERMISSIONS = "{ permissions { key label module } }"


def _catalog(domain: Domain, lang: str) -> Catalog:
    with (domain.locale_dir / lang / "LC_MESSAGES" / f"{domain.name}.po").open("rb") as fp:
        return read_po(fp, locale=lang, domain=domain.name)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_every_domain_has_a_catalog() -> None:
    assert {"core", "team"} <= set(DOMAINS)


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_catalog_is_complete(name: str, lang: str) -> None:
    domain = DOMAINS[name]
    catalog = _catalog(domain, lang)
    messages = [m for m in catalog if m.id]
    missing = {str(m.id) for m in template(domain) if m.id} - {str(m.id) for m in messages}
    assert not missing, f"run `make i18n`: {name}/{lang} lacks {sorted(missing)}"
    for message in messages:
        msgid, msgstr = str(message.id), str(message.string)
        assert not message.fuzzy, f"{name}/{lang}: fuzzy {msgid!r}"
        assert msgstr and msgstr != msgid, f"{name}/{lang}: untranslated {msgid!r}"
        assert _placeholders(msgstr) == _placeholders(msgid), f"{name}/{lang}: {msgstr!r}"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("es-MX", "es"),
        ("zh-TW", "en"),
        ("fr", "fr"),
        ("fr-CA,fr;q=0.9,en;q=0.5", "fr"),
        ("de-AT", "de"),
        ("ja-JP", "ja"),
        ("pt-BR", "en"),
        ("pt-BR, de;q=0.3", "de"),
        ("zh-TW, es;q=0.5", "es"),
        ("en;q=0.1, es;q=0.9", "es"),
        ("es;q=0.2, zh-CN;q=0.8", "zh_Hans"),
        ("", "en"),
        (None, "en"),
        ("*", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_po_is_used_without_mo(tmp_path: Path) -> None:
    """`.mo` files are build output (git-ignored): a bare `.po` must translate on its own."""
    core = DOMAINS["core"]
    for lang in TRANSLATED:
        target = tmp_path / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(core.locale_dir / lang / "LC_MESSAGES" / "core.po", target / "po-only.po")
    register_domain("po-only", tmp_path)
    for lang in TRANSLATED:
        expected = str(_catalog(core, lang)[ROLE_NAME_MSGID].string)
        assert translate("po-only", ROLE_NAME_MSGID, lang) == expected != ROLE_NAME_MSGID


@pytest.mark.parametrize(("header", "lang"), [("zh-CN", "zh_Hans"), ("es", "es"), ("de-DE", "de"),
                                             ("fr-FR", "fr"), ("ja-JP", "ja")])
async def test_user_error_in_callers_language(api: Api, tenant: TenantFixture, header: str,
                                              lang: str) -> None:
    english = (await api.data(CREATE_ROLE, token=tenant.token))["createRole"]["errors"]
    assert english == [{"code": "INVALID_ROLE_NAME", "message": ROLE_NAME_MSGID}]
    errors = (await api.data(CREATE_ROLE, token=tenant.token, lang=header))["createRole"]["errors"]
    expected = translate("core", ROLE_NAME_MSGID, lang)
    assert expected != ROLE_NAME_MSGID
    assert errors == [{"code": "INVALID_ROLE_NAME", "message": expected}]


async def test_client_error_in_callers_language(api: Api) -> None:
    body = await api.post("{ viewer { user { email } } }", token="not-a-token", lang="es-MX")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_TOKEN"
    assert error["message"] == translate("core", "The access token is not valid.", "es")
    assert error["message"] != "The access token is not valid."


async def test_permission_labels_in_callers_language(api: Api, tenant: TenantFixture) -> None:
    english = {p["key"]: p for p in (await api.data(PERMISSIONS, token=tenant.token))["permissions"]}
    chinese = (await api.data(PERMISSIONS, token=tenant.token, lang="zh-CN"))["permissions"]
    assert {p["key"] for p in chinese} == set(english)
    for permission in chinese:
        msgid = english[permission["key"]]["label"]
        assert permission["label"] == translate(permission["module"], msgid, "zh_Hans") != msgid
    labels = {p["key"]: p["label"] for p in chinese}
    assert labels["team.user:read"] == "查看用户"


@pytest.mark.parametrize(
    ("header", "token_error", "user_read_label"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "Das Zugriffstoken ist ungültig.", "Benutzer anzeigen"),
        ("fr-CA", "Le jeton d'accès n'est pas valide.", "Voir les utilisateurs"),
        ("ja-JP", "アクセストークンが無効です。", "ユーザーの閲覧"),
    ],
)
async def test_german_french_japanese_over_http(api: Api, tenant: TenantFixture, header: str,
                                                token_error: str, user_read_label: str) -> None:
    body = await api.post("{ viewer { user { email } } }", token="not-a-token", lang=header)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_TOKEN"
    assert error["message"] == token_error
    permissions = (await api.data(PERMISSIONS, token=tenant.token, lang=header))["permissions"]
    assert {p["key"]: p["label"] for p in permissions}["team.user:read"] == user_read_label
