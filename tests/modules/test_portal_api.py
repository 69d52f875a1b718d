"""The portal endpoint itself over HTTP: its own limits (depth, aliases, cost), its errors in the
caller's language, the body checks of the staff API, CORS for storefronts on other origins, no
introspection in production, and the shop's contact forms for the page to embed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, validate
from starlette.responses import PlainTextResponse

from modules.portal.graphql.schema import LIMITS, build_schema
from schema.app import CoreCORS
from tests.conftest import Api, TenantFixture
from tests.modules.portal_client import clear_counters, path, portal, portal_data, portal_post
from tests.modules.test_channels_form import CREATE_FORM

DOC = Path(__file__).resolve().parents[2] / "docs" / "portal.md"


@pytest.fixture(autouse=True)
async def fresh_limits() -> None:
    await clear_counters()


async def test_a_too_deep_or_too_wide_query_is_refused_before_it_runs(api: Api, tenant: TenantFixture) -> None:
    nested = "name"
    for _ in range(LIMITS.depth):
        nested = f"children {{ {nested} }}"
    deep = await portal(api, tenant.slug, f"{{ helpCategories {{ {nested} }} }}")
    assert deep["data"] is None and "depth" in deep["errors"][0]["message"], deep
    aliases = " ".join(f"a{i}: contactForms {{ path }}" for i in range(LIMITS.aliases + 1))
    wide = await portal(api, tenant.slug, f"{{ {aliases} }}")
    assert wide["data"] is None and "aliases" in wide["errors"][0]["message"].lower(), wide
    costly = " ".join(f"p{i}: helpArticles(first: 20) {{ nodes {{ id }} }}" for i in range(8))  # 8 x 40
    expensive = await portal(api, tenant.slug, f"{{ {costly} }}", lang="de")
    error = expensive["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_EXPENSIVE" and "exceeds" not in error["message"], error
    # The staff API's body checks apply: JSON objects only.
    bad = await api.client.post(path(tenant.slug), content=b"[1]", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await api.client.get(path(tenant.slug))).status_code == 405  # no queries in URLs


async def test_errors_are_translated_and_staff_credentials_open_nothing(api: Api, tenant: TenantFixture) -> None:
    body = await portal(api, tenant.slug, "{ order { number } }", lang="de")
    assert body["errors"][0]["extensions"]["code"] == "TOKEN_REQUIRED"
    assert body["errors"][0]["message"].startswith("Geben Sie zuerst")
    staff = await portal(api, tenant.slug, "{ myReturns { id } }", token=tenant.token, lang="fr")
    assert staff["errors"][0]["extensions"]["code"] == "TOKEN_INVALID" and "lien" in staff["errors"][0]["message"]
    page = await portal(api, tenant.slug, "{ helpArticles(first: 21) { hasNextPage } }", lang="es")
    assert page["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
    assert page["errors"][0]["message"] != "first must be between 0 and 20."


async def test_storefronts_on_other_origins_may_call_it(api: Api, tenant: TenantFixture) -> None:
    asked = await api.client.options(path(tenant.slug), headers={"Origin": "https://shop.example",
                                                                  "Access-Control-Request-Method": "POST"})
    assert asked.status_code == 204 and asked.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in asked.headers["access-control-allow-headers"]
    answer = await portal_post(api, tenant.slug, "{ contactForms { path } }")
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"


async def test_the_staff_apis_cors_origins_never_refuse_a_storefronts_preflight(app: Any) -> None:
    """With CORS_ORIGINS set for the staff frontend, a module's own routes still answer any origin."""
    reached: list[str] = []

    async def routes(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])
        await PlainTextResponse("", status_code=204)(scope, receive, send)

    cors = CoreCORS(routes, allow_origins=["https://admin.example.com"], allow_methods=["GET", "POST"])

    async def in_app(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = app  # as Starlette sets it before its middleware runs
        await cors(scope, receive, send)

    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=in_app), base_url="http://api") as client:
        assert (await client.options("/portal/some-shop/graphql", headers=preflight)).status_code == 204
        assert (await client.options("/graphql", headers=preflight)).status_code == 400  # the staff API's rule
    assert reached == ["/portal/some-shop/graphql"]


async def test_no_introspection_in_production(api: Api) -> None:  # (api: the counters' database is open)
    query = "{ __schema { queryType { name } } }"
    assert (await build_schema(production=False).execute(query)).errors is None
    refused = await build_schema(production=True).execute(query)
    assert refused.errors and "introspection" in refused.errors[0].message.lower()


async def test_the_shops_contact_forms_are_listed_for_the_page(api: Api, tenant: TenantFixture,
                                                               other_tenant: TenantFixture) -> None:
    created = (await api.data(CREATE_FORM, {"i": {"kind": "web_form", "name": "Contact us",
                                                  "address": "support@shop.test"}}, token=tenant.token))
    form_path = created["createChannel"]["channel"]["formPath"]
    listed = await portal_data(api, tenant.slug, "{ contactForms { name path } }")
    assert listed["contactForms"] == [{"name": "Contact us", "path": form_path}]
    assert (await api.client.get(form_path)).status_code == 200  # the channels module's form itself
    assert (await portal_data(api, other_tenant.slug, "{ contactForms { path } }"))["contactForms"] == []


def test_the_examples_of_docs_portal_md_are_valid_portal_queries(api: Api) -> None:
    blocks = re.findall(r"```graphql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    schema = build_schema(production=False)._schema
    assert len(blocks) >= 7
    for block in blocks:
        assert validate(schema, parse(block)) == [], block
