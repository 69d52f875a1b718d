"""Text no database may store is refused before anything runs, on both databases, with its path;
and a failed request leaves no document text, variable or message in the log."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from schema.error_log import document_hash
from tests.conftest import Api, TenantFixture

CREATE_TEAM = "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id name } errors { code } } }"
TEAMS = "{ teams(first: 50) { edges { node { name } } } }"


async def _team_names(api: Api, tenant: TenantFixture) -> list[str]:
    data = await api.data(TEAMS, token=tenant.token)
    return [e["node"]["name"] for e in data["teams"]["edges"]]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
async def test_control_characters_in_variables_are_refused(api: Api, tenant: TenantFixture, char: str) -> None:
    body = await api.post(CREATE_TEAM, {"i": {"name": f"Support{char}EU"}}, token=tenant.token)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INVALID_TEXT", "field": ["i", "name"]}
    assert f"U+{ord(char):04X}" in error["message"] and char not in error["message"]
    assert await _team_names(api, tenant) == []


async def test_nested_json_values_and_translation(api: Api, tenant: TenantFixture) -> None:
    body = await api.post(CREATE_TEAM, {"i": {"name": "EU", "workingHours": {"mon": [["09:00\x00", "18:00"]]}}},
                          token=tenant.token, lang="es")
    error = body["errors"][0]
    assert error["extensions"]["field"] == ["i", "workingHours", "mon", "0", "0"]
    assert error["message"].startswith("i.workingHours.mon.0.0 ") and "U+0000" in error["message"]
    assert "character that text may not hold" not in error["message"]  # Spanish, not English


async def test_literals_in_the_document_are_refused(api: Api, tenant: TenantFixture) -> None:
    query = 'mutation { createTeam(input: {name: "A\\u0000B"}) { team { id } errors { code } } }'
    body = await api.post(query, token=tenant.token)
    assert body["errors"][0]["extensions"] == {"code": "INVALID_TEXT", "field": ["input", "name"]}
    assert await _team_names(api, tenant) == []


async def test_lone_surrogates_are_refused(api: Api, tenant: TenantFixture) -> None:
    raw = json.dumps({"query": CREATE_TEAM, "variables": {"i": {"name": "x"}}}).replace('"x"', '"a\\ud800b"')
    response = await api.client.post("/graphql", content=raw.encode(),
                                     headers={"content-type": "application/json",
                                              "authorization": f"Bearer {tenant.token}"})
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TEXT"
    assert await _team_names(api, tenant) == []


async def test_tabs_and_line_breaks_are_text(api: Api, tenant: TenantFixture) -> None:
    data = await api.data(CREATE_TEAM, {"i": {"name": "Tier\t2\r\nEU 🌍 客服"}}, token=tenant.token)
    assert data["createTeam"]["team"]["name"] == "Tier\t2\r\nEU 🌍 客服"


async def test_queries_are_not_served_over_get(api: Api, tenant: TenantFixture) -> None:
    """A document in the URL ends up in every proxy's and server's access log."""
    response = await api.client.get("/graphql", params={"query": "{ __typename }"},
                                    headers={"authorization": f"Bearer {tenant.token}"})
    assert response.status_code in (400, 405) and "__typename" not in response.text.replace("query", "")


async def test_failed_requests_log_no_document_text(api: Api, tenant: TenantFixture,
                                                    caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused (validation, bad text) and failed (an unexpected exception whose text, as a driver's
    does, quotes the bound values) requests: the log has the operation, a hash and the error type."""
    import modules.team.graphql.queries as queries

    secret = "buyer.secret@example.com"

    async def broken(token: str) -> Any:
        raise RuntimeError(f"duplicate key value: Key (email)=({secret}) already exists")

    monkeypatch.setattr(queries.invitation_service, "preview", broken)
    refused = f'query Lookup {{ teams(first: 1, nope: "{secret}") {{ edges {{ cursor }} }} }}'
    failing = f'query Preview {{ invitationPreview(token: "{secret}") {{ email }} }}'
    with caplog.at_level(logging.DEBUG):
        assert (await api.post(refused, token=tenant.token))["errors"]
        body = await api.post(failing, token=tenant.token)
        assert body["errors"][0]["message"] == "Internal error."
        await api.post(CREATE_TEAM, {"i": {"name": f"{secret}\x00"}}, token=tenant.token)
    text = caplog.text
    assert secret not in text
    assert f"operation=Lookup document={document_hash(refused)}" in text
    assert f"operation=Preview document={document_hash(failing)}" in text
    assert "builtins.RuntimeError" in text and "code=INVALID_TEXT" in text
