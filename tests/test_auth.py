"""Login, tokens, API keys and rate limits, over HTTP."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import jwt

from core.auth.tokens import issue_access_token
from core.identity import add_user
from core.models import ApiKey
from tests.conftest import PASSWORD, Api, TenantFixture, make_tenant

LOGIN = """mutation($i: LoginInput!) { login(input: $i) {
  accessToken refreshToken errors { code field message } } }"""
REFRESH = """mutation($t: String!) { refreshToken(input: {refreshToken: $t}) {
  accessToken refreshToken errors { code } } }"""
LOGOUT = "mutation($t: String!) { logout(input: {refreshToken: $t}) { ok } }"
VIEWER = "{ viewer { user { email } tenant { slug } } }"


async def _login(api: Api, email: str, password: str, tenant: str | None) -> dict[str, Any]:
    data = await api.data(LOGIN, {"i": {"email": email, "password": password, "tenant": tenant}})
    return data["login"]


async def test_wrong_email_and_wrong_password_look_the_same(api: Api, tenant: TenantFixture) -> None:
    wrong_password = await _login(api, tenant.admin_email, "not the password", tenant.slug)
    wrong_email = await _login(api, f"nobody-{uuid.uuid4().hex}@x.test", PASSWORD, tenant.slug)
    assert wrong_password["accessToken"] is None
    assert wrong_password["errors"] == wrong_email["errors"]
    assert wrong_password["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_login_to_a_tenant_the_user_is_not_in(api: Api, tenant: TenantFixture,
                                                     other_tenant: TenantFixture) -> None:
    result = await _login(api, tenant.admin_email, PASSWORD, other_tenant.slug)
    assert result["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_user_of_two_tenants_must_say_which(api: Api, rt: Any, tenant: TenantFixture,
                                                  other_tenant: TenantFixture) -> None:
    await add_user(other_tenant.id, tenant.admin_email, "Admin", None)
    result = await _login(api, tenant.admin_email, PASSWORD, None)
    assert result["errors"][0]["code"] == "TENANT_REQUIRED"
    assert result["errors"][0]["field"] == ["tenant"]
    token = (await _login(api, tenant.admin_email, PASSWORD, other_tenant.slug))["accessToken"]
    viewer = await api.data(VIEWER, token=token)
    assert viewer["viewer"]["tenant"]["slug"] == other_tenant.slug


async def test_refresh_token_rotates_and_reuse_revokes_the_family(api: Api, tenant: TenantFixture) -> None:
    first = await _login(api, tenant.admin_email, PASSWORD, tenant.slug)
    second = (await api.data(REFRESH, {"t": first["refreshToken"]}))["refreshToken"]
    assert second["errors"] == [] and second["refreshToken"] != first["refreshToken"]
    assert (await api.data(VIEWER, token=second["accessToken"]))["viewer"]["user"]["email"] == \
        tenant.admin_email
    # The first token was used: presenting it again is theft, and kills the whole family.
    reused = (await api.data(REFRESH, {"t": first["refreshToken"]}))["refreshToken"]
    assert reused["errors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    after_theft = (await api.data(REFRESH, {"t": second["refreshToken"]}))["refreshToken"]
    assert after_theft["errors"][0]["code"] == "INVALID_REFRESH_TOKEN"


async def test_logout_revokes_the_refresh_token(api: Api, tenant: TenantFixture) -> None:
    pair = await _login(api, tenant.admin_email, PASSWORD, tenant.slug)
    assert (await api.data(LOGOUT, {"t": pair["refreshToken"]}))["logout"]["ok"] is True
    refreshed = (await api.data(REFRESH, {"t": pair["refreshToken"]}))["refreshToken"]
    assert refreshed["errors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    assert (await api.data(LOGOUT, {"t": "rt_unknown"}))["logout"]["ok"] is False


async def test_missing_expired_forged_and_malformed_tokens(api: Api, rt: Any, tenant: TenantFixture) -> None:
    missing = await api.post(VIEWER)
    assert missing["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    expired, _ = issue_access_token(dataclasses.replace(rt.settings, access_token_ttl=-5),
                                    tenant.admin_id, tenant.id)
    assert (await api.post(VIEWER, token=expired))["errors"][0]["extensions"]["code"] == "TOKEN_EXPIRED"
    claims = jwt.decode(tenant.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another secret of enough length 0123456789", algorithm="HS256")
    assert (await api.post(VIEWER, token=forged))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    # A token for a tenant the user is not a member of.
    other, _ = issue_access_token(rt.settings, tenant.admin_id, tenant.id + 10_000)
    assert (await api.post(VIEWER, token=other))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    response = await api.client.post("/graphql", json={"query": VIEWER},
                                     headers={"Authorization": "Basic abc"})
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    assert "Traceback" not in response.text


async def test_api_key_is_shown_once_stored_hashed_and_revocable(api: Api, tenant: TenantFixture) -> None:
    created = (await api.data(
        'mutation { createApiKey(input: {name: "importer"}) { key prefix errors { code } } }',
        token=tenant.token))["createApiKey"]
    key = created["key"]
    assert key.startswith("sck_") and created["errors"] == []
    row = await ApiKey.get(prefix=created["prefix"])
    assert key.split("_", 2)[2] not in row.secret_hash
    viewer = await api.data(VIEWER, token=key)
    assert viewer["viewer"]["tenant"]["slug"] == tenant.slug
    wrong = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    assert (await api.post(VIEWER, token=wrong))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    revoked = await api.data(
        "mutation($p: String!) { revokeApiKey(input: {prefix: $p}) { prefix errors { code } } }",
        {"p": created["prefix"]}, token=tenant.token)
    assert revoked["revokeApiKey"]["errors"] == []
    assert (await api.post(VIEWER, token=key))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    audit = await api.data('{ auditLog(first: 5, filter: {objectType: "ApiKey"}) '
                           '{ edges { node { action via } } } }', token=tenant.token)
    assert [e["node"]["action"] for e in audit["auditLog"]["edges"]] == ["apikey.revoke", "apikey.create"]


async def test_login_attempts_are_rate_limited(api: Api, rt: Any) -> None:
    t = await make_tenant(api, rt)
    for _ in range(rt.settings.login_attempts):
        assert (await _login(api, t.admin_email, "wrong", t.slug))["errors"][0]["code"] == \
            "INVALID_CREDENTIALS"
    blocked = await _login(api, t.admin_email, PASSWORD, t.slug)
    assert blocked["errors"][0]["code"] == "TOO_MANY_ATTEMPTS" and blocked["accessToken"] is None
