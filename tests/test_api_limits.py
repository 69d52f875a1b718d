"""The endpoint as a whole: bad bodies, bad queries, limits, masking. Never a stack trace."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from core.graphql.context import Context
from schema.builder import build_schema
from tests.conftest import Api, TenantFixture


async def _raw(api: Api, body: bytes, content_type: str = "application/json") -> Any:
    return await api.client.post("/graphql", content=body, headers={"content-type": content_type})


@pytest.mark.parametrize("body,status,needle", [
    (b"{not json", 400, "not valid JSON"),
    (b'"just a string"', 400, "JSON object"),
    (b"123", 400, "JSON object"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
    (b'{"query": "{ viewer { user { id } } }", "x": "\xff\xfe"}', 400, "UTF-8"),
    (b'{"variables": {}}', 400, "'query'"),
    (b'{"query": "{ __typename }", "variables": [1]}', 400, "'variables'"),
])
async def test_bad_bodies_get_400(api: Api, body: bytes, status: int, needle: str) -> None:
    response = await _raw(api, body)
    assert response.status_code == status
    assert needle in response.json()["errors"][0]["message"]


async def test_wrong_content_type_and_oversized_bodies(api: Api, rt: Any) -> None:
    assert (await _raw(api, b"query=x", "application/x-www-form-urlencoded")).status_code == 415
    big = b'{"query": "' + b" " * (rt.settings.max_body_bytes + 1) + b'{ __typename }"}'
    assert (await _raw(api, big)).status_code == 413


async def test_malformed_queries_and_wrong_types(api: Api, tenant: TenantFixture) -> None:
    syntax = await api.post("{ viewer { ", token=tenant.token)
    assert syntax["errors"][0]["message"].startswith("Syntax Error")
    unknown = await api.post("{ nothing }", token=tenant.token)
    assert "Cannot query field 'nothing'" in unknown["errors"][0]["message"]
    wrong = await api.post("query($n: Int) { users(first: $n) { edges { cursor } } }",
                           {"n": "ten"}, token=tenant.token)
    assert "Int cannot represent" in wrong["errors"][0]["message"]
    big_page = await api.post("{ users(first: 1000) { edges { cursor } } }", token=tenant.token)
    assert big_page["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
    bad_cursor = await api.post('{ users(first: 1, after: "zzz") { edges { cursor } } }', token=tenant.token)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_alias_and_cost_limits(api: Api, tenant: TenantFixture) -> None:
    aliases = "{ " + " ".join(f"a{i}: viewer {{ permissions }}" for i in range(40)) + " }"
    body = await api.post(aliases, token=tenant.token)
    assert "aliases" in body["errors"][0]["message"].lower()
    costly = "{ " + " ".join(
        f"u{i}: users(first: 100) {{ edges {{ node {{ roles {{ name permissions }} }} }} }}" for i in range(20)
    ) + " }"
    body = await api.post(costly, token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"
    cheap = "{ users(first: 5) { edges { node { roles { name permissions } } } } }"
    assert (await api.post(cheap, token=tenant.token)).get("errors") is None


SELLER_PAGE = """{ customers(first: 100) { edges { node { id emails firstName lastName
  addresses { kind isDefault city country }
  orders(first: %d) { edges { node { number placedAt total { amount currency } } } pageInfo { hasNextPage } } } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_the_cost_limit_lets_a_frontends_page_through_and_refuses_a_page_of_pages(
        api: Api, tenant: TenantFixture) -> None:
    """100 customers with their addresses and 5 orders each, as a Connection (Shopify's and Saleor's
    clients' shape), costs about 2,900; with 100 orders each it would be 10,000 orders: refused. A scalar
    costs nothing, `last` counts as `first` does."""
    assert (await api.post(SELLER_PAGE % 5, token=tenant.token)).get("errors") is None
    refused = await api.post(SELLER_PAGE % 100, token=tenant.token)
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE", refused
    recent = "{ customers(first: 100) { edges { node { recentOrders(last: 20) { total { amount } } } } } }"
    assert (await api.post(recent, token=tenant.token)).get("errors") is None
    many = " ".join(f"c{i}: customers(first: 100) {{ edges {{ node {{ recentOrders(last: 20) {{ number }} }} }} }}"
                    for i in range(3))
    body = await api.post("{ " + many + " }", token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE", body
    # `first: $n` counts the value sent: a client's usual shape, never refused for being a variable.
    with_variable = SELLER_PAGE.replace("{ customers", "query($n: Int) { customers").replace("orders(first: %d)",
                                                                                         "orders(first: $n)")
    assert (await api.post(with_variable, {"n": 5}, token=tenant.token)).get("errors") is None
    refused = await api.post(with_variable, {"n": 100}, token=tenant.token)
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE", refused


async def test_query_depth_limit(api: Api, rt: Any, tenant: TenantFixture) -> None:
    ok = "{ teams(first: 1) { edges { node { members { roles { id } } } } } }"
    assert (await api.post(ok, token=tenant.token)).get("errors") is None
    depth = rt.settings.max_query_depth + 1
    too_deep = "{ " + "teams { " * depth + "id" + " }" * depth + " }"
    body = await api.post(too_deep, token=tenant.token)
    assert any("depth" in e["message"] for e in body["errors"]), body


async def test_unexpected_errors_are_masked(api: Api, tenant: TenantFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from modules.team.graphql import queries

    async def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internal detail at /srv/app.py line 3")

    monkeypatch.setattr(queries.models.Tenant, "get", boom)
    body = await api.post("{ viewer { tenant { slug } } }", token=tenant.token)
    assert body["errors"][0]["message"] == "Internal error."
    assert "secret" not in str(body) and "Traceback" not in str(body)


async def test_production_hides_introspection_and_suggestions(rt: Any) -> None:
    from schema.limits import localize_errors

    schema = build_schema(rt.modules, dataclasses.replace(rt.settings, env="production"))
    ctx = Context(request=None, rt=rt, locale="en")
    result = await schema.execute("{ __schema { types { name } } }", context_value=ctx)
    assert result.errors and "introspection" in result.errors[0].message.lower()
    dev = build_schema(rt.modules, rt.settings)
    result = await dev.execute("{ viewr { user { id } } }", context_value=ctx)
    assert result.errors and "Did you mean" in result.errors[0].message
    hidden = localize_errors(result.errors, "en", hide_suggestions=True)
    assert hidden[0].message == "Cannot query field 'viewr' on type 'Query'."
    again = await dev.execute("{ viewr { user { id } } }", context_value=ctx)  # from the validation cache
    assert again.errors and "Did you mean" in again.errors[0].message


async def test_transport_and_limit_errors_speak_the_callers_language(api: Api, tenant: TenantFixture) -> None:
    from core.i18n import translate

    response = await api.client.post("/graphql", content=b"{not json",
                                     headers={"content-type": "application/json", "Accept-Language": "zh-CN"})
    assert response.json()["errors"][0]["message"] == translate(
        "core", "The request body is not valid JSON.", "zh_Hans") != "The request body is not valid JSON."
    costly = "{ " + " ".join(
        f"u{i}: users(first: 100) {{ edges {{ node {{ roles {{ name permissions }} }} }} }}" for i in range(20)
    ) + " }"
    for lang, locale in (("es-ES", "es"), ("en", "en"), ("es-ES", "es")):  # a cached validation stays per language
        body = await api.post(costly, token=tenant.token, lang=lang)
        message = body["errors"][0]["message"]
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"
        assert message.startswith("La consulta es demasiado costosa") == (locale == "es"), message


async def test_token_limit(api: Api, rt: Any, tenant: TenantFixture) -> None:
    fields = " ".join(["__typename"] * (rt.settings.max_tokens + 10))
    body = await api.post("{ " + fields + " }", token=tenant.token)
    assert "token" in body["errors"][0]["message"].lower()


async def test_the_standard_introspection_query_answers_without_errors(api: Api, tenant: TenantFixture) -> None:
    """GraphiQL and code generators send exactly this; an input default they cannot print broke it."""
    from graphql import get_introspection_query

    body = await api.post(get_introspection_query(descriptions=True), token=tenant.token)
    assert "errors" not in body or not body["errors"], body.get("errors")
    types = {t["name"]: t for t in body["data"]["__schema"]["types"]}
    working_hours = next(f for f in types["CreateTeamInput"]["inputFields"] if f["name"] == "workingHours")
    assert working_hours["defaultValue"] == "null"
