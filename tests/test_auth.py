"""Login, tokens, API keys and rate limits, over HTTP."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import jwt

from core.auth.tokens import issue_access_token
from core.models import ApiKey
from tests.conftest import PASSWORD, Api, TenantFixture, accept, invite, make_tenant

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
    invitation = await invite(api, other_tenant, tenant.admin_email)
    # Invited is not joined: until the person accepts, their login is unchanged.
    assert (await _login(api, tenant.admin_email, PASSWORD, None))["errors"] == []
    assert (await accept(api, invitation["token"]))["errors"] == []
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
    # The counters live in the database: flushing (or losing) Redis does not reset them.
    await rt.redis.flushdb()
    still = await _login(api, t.admin_email, PASSWORD, t.slug)
    assert still["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_access_tokens_end_with_logout_theft_and_deactivation(api: Api, rt: Any) -> None:
    """An access token must not outlive what ended its session: logout, a reused refresh token
    (family revoked) or deactivation, and it stays dead after a reactivation."""
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType

    t = await make_tenant(api, rt)
    # Logout: the device's access token stops at once.
    pair = await _login(api, t.admin_email, PASSWORD, t.slug)
    assert (await api.data(LOGOUT, {"t": pair["refreshToken"]}))["logout"]["ok"] is True
    assert (await api.post(VIEWER, token=pair["accessToken"]))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    # A fresh login after it works.
    fresh = await _login(api, t.admin_email, PASSWORD, t.slug)
    assert (await api.data(VIEWER, token=fresh["accessToken"]))["viewer"]["tenant"]["slug"] == t.slug
    # Theft: a refresh token used twice ends the access tokens already issued too.
    second = (await api.data(REFRESH, {"t": fresh["refreshToken"]}))["refreshToken"]
    assert (await api.data(REFRESH, {"t": fresh["refreshToken"]}))["refreshToken"]["errors"][0]["code"] == \
        "INVALID_REFRESH_TOKEN"
    assert (await api.post(VIEWER, token=second["accessToken"]))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"

    # Deactivation, then reactivation: the old token stays void.
    t = dataclasses.replace(t, token=await api.login(t.admin_email, t.slug))
    invited = await invite(api, t, f"member@{t.slug}.test", "Member")
    member_token = (await accept(api, invited["token"]))["accessToken"]
    member = await api.data("{ viewer { user { id } } }", token=member_token)
    gid = member["viewer"]["user"]["id"]
    assert gid == to_global_id(UserType, await _user_pk(f"member@{t.slug}.test"))
    setq = "mutation($i: SetUserActiveInput!) { setUserActive(input: $i) { errors { code } } }"
    assert (await api.data(setq, {"i": {"userId": gid, "active": False}}, token=t.token))["setUserActive"]["errors"] == []
    assert (await api.data(setq, {"i": {"userId": gid, "active": True}}, token=t.token))["setUserActive"]["errors"] == []
    assert (await api.post(VIEWER, token=member_token))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    assert (await api.data(VIEWER, token=await api.login(f"member@{t.slug}.test", t.slug)))["viewer"]


async def _user_pk(email: str) -> int:
    from core.models import User

    return (await User.get(email=email)).id


API_KEYS = "{ apiKeys(first: 10) { edges { node { prefix name lastUsedAt expiresAt revokedAt creator { email } } } } }"
CREATE_KEY = """mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key prefix errors { code field } } }"""


async def test_api_keys_cannot_mint_keys_are_listed_and_expire(api: Api, rt: Any) -> None:
    from datetime import UTC, datetime, timedelta

    t = await make_tenant(api, rt)
    made = (await api.data(CREATE_KEY, {"i": {"name": "sync"}}, token=t.token))["createApiKey"]
    key = made["key"]
    minted = (await api.data(CREATE_KEY, {"i": {"name": "child"}}, token=key))["createApiKey"]
    assert minted == {"key": None, "prefix": None, "errors": [{"code": "API_KEY_CANNOT_CREATE_KEYS", "field": None}]}
    assert await ApiKey.filter(tenant_id=t.id).count() == 1
    listed = (await api.data(API_KEYS, token=t.token))["apiKeys"]["edges"]
    assert [e["node"]["prefix"] for e in listed] == [made["prefix"]]
    node = listed[0]["node"]
    assert node["name"] == "sync" and node["creator"] == {"email": t.admin_email}
    assert node["lastUsedAt"] is not None  # it was used to try to mint a key
    assert "key" not in node and "secretHash" not in str(listed)

    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    expiring = (await api.data(CREATE_KEY, {"i": {"name": "temp", "expiresAt": soon}}, token=t.token))["createApiKey"]
    assert expiring["errors"] == []
    assert (await api.data(VIEWER, token=expiring["key"]))["viewer"]["tenant"]["slug"] == t.slug
    await ApiKey.filter(prefix=expiring["prefix"]).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await api.post(VIEWER, token=expiring["key"]))["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    for when in (past, far):
        bad = (await api.data(CREATE_KEY, {"i": {"name": "x", "expiresAt": when}}, token=t.token))["createApiKey"]
        assert bad["errors"] == [{"code": "INVALID_EXPIRY", "field": ["expiresAt"]}]
    agent = await make_tenant(api, rt, role="agent")
    denied = await api.post(API_KEYS, token=agent.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_address_past_its_limit_is_slowed_not_locked_out(api: Api, rt: Any,
                                                                 monkeypatch: Any) -> None:
    """Behind one NAT, a guesser's failures must not lock out a colleague: the address is slowed
    (each attempt waits longer), the colleague's right password still works."""
    import httpx

    from core.auth import login as login_module

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(login_module, "pause", no_wait)
    office = httpx.ASGITransport(app=api.client._transport.app, client=("198.51.100.7", 4000))  # type: ignore[attr-defined]
    t = await make_tenant(api, rt)
    limit = rt.settings.login_attempts * login_module.IP_FACTOR
    async with httpx.AsyncClient(transport=office, base_url="http://test") as client:
        office_api = Api(client)
        for i in range(limit + 2):
            await _login(office_api, f"guess-{i}@x.test", "wrong", t.slug)
        ok = await _login(office_api, t.admin_email, PASSWORD, t.slug)
    assert ok["errors"] == [] and ok["accessToken"]
    assert waits and waits == sorted(waits) and max(waits) <= login_module.MAX_DELAY
    assert login_module.address_delay(limit - 1, limit) == 0.0
    assert login_module.address_delay(limit + 20, limit) == login_module.MAX_DELAY


def test_the_client_address_behind_trusted_proxies_only() -> None:
    from ipaddress import ip_network

    from starlette.requests import HTTPConnection

    from core.auth.client_address import client_address

    def conn(peer: str, forwarded: str | None) -> HTTPConnection:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return HTTPConnection({"type": "http", "client": (peer, 1), "headers": headers})

    proxies = (ip_network("10.0.0.0/8"),)
    # No trusted proxies: the header is anyone's to forge, so it is ignored.
    assert client_address(conn("203.0.113.9", "1.2.3.4"), ()) == "203.0.113.9"
    # From an untrusted peer, the same.
    assert client_address(conn("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"
    # Through our balancer: the right-most address that is not ours; a forged left part is skipped.
    assert client_address(conn("10.0.0.2", "6.6.6.6, 198.51.100.20, 10.0.0.3"), proxies) == "198.51.100.20"
    assert client_address(conn("10.0.0.2", None), proxies) == "10.0.0.2"
    assert client_address(conn("10.0.0.2", "garbage"), proxies) == "unknown"


async def test_password_hashing_is_strong_outside_tests_and_never_blocks_the_event_loop() -> None:
    """Real cost everywhere but the test environment; the 0.3 s of argon2 runs beside the loop."""
    import asyncio
    import time

    from core.auth import passwords
    from core.settings import Settings

    base = {"SECRET_KEY": "t" * 48}
    try:
        passwords.configure(Settings.from_env({**base, "SELLERCARE_ENV": "development"}))
        assert passwords._hasher.time_cost >= 3 and passwords._hasher.memory_cost >= 64 * 1024
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        running = asyncio.create_task(ticker())
        started = time.monotonic()
        hashed = await passwords.hash_password("correct horse battery")
        elapsed = time.monotonic() - started
        running.cancel()
        assert await passwords.verify_password(hashed, "correct horse battery")
        assert not await passwords.verify_password(hashed, "wrong")
        assert ticks >= elapsed / 0.01 / 3, (ticks, elapsed)  # the loop kept running meanwhile
    finally:
        passwords.configure(Settings.from_env({**base, "SELLERCARE_ENV": "test"}))
    assert passwords._hasher.time_cost == 1
