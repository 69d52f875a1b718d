"""What the portal tests share: posting to a shop's portal endpoint, with the counters of its rate
limits cleared before each test (they outlive a test, as in production)."""

from __future__ import annotations

from typing import Any

import httpx

from core.models import LoginFailure
from tests.conftest import Api


def path(slug: str) -> str:
    return f"/portal/{slug}/graphql"


async def portal_post(api: Api, slug: str, query: str, variables: dict[str, Any] | None = None, *,
                      token: str | None = None, lang: str | None = None) -> httpx.Response:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if lang:
        headers["Accept-Language"] = lang
    return await api.client.post(path(slug), json={"query": query, "variables": variables}, headers=headers)


async def portal(api: Api, slug: str, query: str, variables: dict[str, Any] | None = None, **kw: Any
                 ) -> dict[str, Any]:
    """The JSON answer of a request the endpoint took (HTTP 200)."""
    response = await portal_post(api, slug, query, variables, **kw)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def portal_data(api: Api, slug: str, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    body = await portal(api, slug, query, variables, **kw)
    assert not body.get("errors"), body
    return body["data"]


async def clear_counters() -> None:
    await LoginFailure.filter(key__startswith="portal:").delete()
