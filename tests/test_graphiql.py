"""GraphiQL works without internet access: its page names only assets the app serves itself
(fetched by `make install` from schema/frontend/package-lock.json), and they are there. Assets that were
not installed fail these tests: they are not skipped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from schema import graphiql
from tests.conftest import PASSWORD, Api, TenantFixture

JS_TYPES = {"text/javascript", "application/javascript"}
NOT_INSTALLED = "GraphiQL's assets are not installed: run `make install` (needs Node.js and npm)"


class Tags(HTMLParser):
    """Every URL the page loads: <script src>, <link href> (styles, icon), and any other src."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.others: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.scripts.append(a["src"] or "")
            else:
                self.inline_scripts += 1
        elif tag == "link" and a.get("href"):
            (self.styles if a.get("rel") == "stylesheet" else self.others).append(a["href"] or "")
        elif a.get("src"):
            self.others.append(a["src"] or "")


async def _page(api: Api) -> tuple[str, Tags]:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200, f"{NOT_INSTALLED}\n{response.text}"
    assert response.headers["content-type"].startswith("text/html")
    tags = Tags()
    tags.feed(response.text)
    return response.text, tags


async def test_the_assets_are_installed() -> None:
    assert graphiql.missing_assets() == [], NOT_INSTALLED


async def test_graphiql_page_loads_nothing_from_another_host(api: Api) -> None:
    text, tags = await _page(api)
    # react, react-dom, graphiql, the explorer plugin, ours; graphiql's, the explorer's and our styles.
    assert len(tags.scripts) == 5 and len(tags.styles) == 3, text
    assert tags.inline_scripts == 0, "an inline script would need a CSP nonce: keep it in schema/static/"
    for url in tags.scripts + tags.styles + tags.others:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is not served by the app"
        assert url.startswith("/static/"), url
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text, re.I), text
    assert "unpkg.com" not in text and "jsdelivr" not in text


async def test_every_asset_is_served_with_its_type(api: Api) -> None:
    _, tags = await _page(api)
    sizes = {}
    for url, types, least in ([(u, JS_TYPES, 1_000) for u in tags.scripts]
                              + [(u, {"text/css"}, 300) for u in tags.styles]
                              + [(u, {"image/svg+xml"}, 50) for u in tags.others]):
        response = await api.client.get(urljoin("http://test/graphql", url))
        assert response.status_code == 200, f"{url}: {response.status_code}. {NOT_INSTALLED}"
        assert response.headers["content-type"].split(";")[0] in types, (url, response.headers["content-type"])
        assert len(response.content) >= least, (url, len(response.content))
        if url.endswith(".css"):  # fonts are inlined (data: URLs); nothing imported from elsewhere
            assert not re.search(rb"url\(\s*[\"']?(https?:)?//|@import", response.content), url
        sizes[url.rsplit("/", 1)[-1]] = len(response.content)
    assert sizes["graphiql.min.js"] > 1_000_000 and sizes["react-dom.production.min.js"] > 100_000, sizes
    assert sizes["graphiql.min.css"] > 100_000, sizes


async def _script(api: Api) -> str:
    _, tags = await _page(api)
    ours = [url for url in tags.scripts if url.endswith("/sellercare-graphiql.js")]
    assert ours, tags.scripts
    return (await api.client.get(ours[0])).text


async def test_the_default_query_logs_in_and_the_headers_pane_has_a_placeholder(api: Api) -> None:
    script = await _script(api)
    default_query = re.search(r"DEFAULT_QUERY = `(.*?)`;", script, re.S)
    assert default_query, script
    query = default_query.group(1).replace("\\`", "`")
    assert "mutation Login" in query and "login(input:" in query and "accessToken" in query
    assert '{"Authorization": "Bearer <accessToken>"}' in query  # the comment: where the token goes
    assert "defaultQuery: DEFAULT_QUERY" in script and "defaultHeaders: DEFAULT_HEADERS" in script
    headers = re.search(r"DEFAULT_HEADERS = '(.*?)';", script)
    assert headers and json.loads(headers.group(1).replace("\\n", "\n")) == {
        "Authorization": "Bearer <accessToken>"}
    # The fetcher keeps strawberry's behaviour: HTTP to the page's URL, subscriptions over a websocket.
    assert "GraphiQL.createFetcher" in script and "subscriptionUrl" in script
    assert "isHeadersEditorEnabled: true" in script


async def test_the_default_query_runs_with_the_placeholder_header(api: Api, tenant: TenantFixture) -> None:
    """The page's first run: the Login mutation (this tenant's admin in place of the demo's) while
    the Headers pane still holds the placeholder; then the Viewer query with the token it answered."""
    script = await _script(api)
    default_query = re.search(r"DEFAULT_QUERY = `(.*?)`;", script, re.S)
    assert default_query
    demo = 'login(input: {email: "admin@demo.test", password: "demo", tenant: "demo"})'  # make run's demo
    assert demo in default_query.group(1)
    query = default_query.group(1).replace("\\`", "`").replace(
        demo, f'login(input: {{email: "{tenant.admin_email}", password: "{PASSWORD}", tenant: "{tenant.slug}"}})')
    placeholder = {"Authorization": "Bearer <accessToken>"}
    login = (await api.client.post("/graphql", json={"query": query, "operationName": "Login"},
                                   headers=placeholder)).json()
    assert login["data"]["login"]["errors"] == [], login
    token = login["data"]["login"]["accessToken"]
    viewer = (await api.client.post("/graphql", json={"query": query, "operationName": "Viewer"},
                                    headers={"Authorization": f"Bearer {token}"})).json()
    assert viewer["data"]["viewer"]["user"]["email"] == tenant.admin_email, viewer
    # GraphiQL's schema introspection goes through with the placeholder too.
    schema = (await api.client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"},
                                    headers=placeholder)).json()
    assert schema["data"]["__schema"]["queryType"]["name"] == "Query", schema
