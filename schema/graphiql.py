"""GraphiQL with every asset served by the app itself (strawberry's page loads them from a CDN,
so without internet access it stayed on "Loading...").

`make install` fetches the versions pinned in schema/frontend/package-lock.json with npm and copies the
browser builds into schema/static/graphiql/ (git-ignored, shipped in a wheel built after it);
schema/graphiql.html is the page, schema/static/ its script and styles. The page's <script> and <link> tags
name only paths under `/static/`, served by `static_app()`. When the assets are missing the page
says so (HTTP 503) instead of staying blank.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_DIR = STATIC_DIR / "graphiql"
STATIC_PREFIX = "/static"
_ROOT = "{{root}}"
_LOCAL_URL = re.compile(r'(?:src|href)="\{\{root\}\}' + re.escape(STATIC_PREFIX) + r'/([^"]+)"')

MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>GraphiQL's assets are missing</title></head>
<body><h1>GraphiQL's assets are not installed</h1>
<p>Missing: {missing}.</p>
<p>Run <code>make install</code> (it needs Node.js and npm: <code>npm ci --ignore-scripts</code> in
<code>schema/frontend/</code> fetches the pinned versions into <code>schema/static/graphiql/</code>).
The GraphQL API itself works: POST queries to this URL.</p></body></html>
"""


@cache
def _template() -> str:
    return (Path(__file__).parent / "graphiql.html").read_text(encoding="utf-8")


def referenced_assets() -> list[str]:
    """The files under schema/static/ the page loads, as paths relative to it."""
    return _LOCAL_URL.findall(_template())


def missing_assets() -> list[str]:
    return [name for name in referenced_assets() if not (STATIC_DIR / name).is_file()]


def page(root_path: str = "") -> HTMLResponse:
    """The GraphiQL page; `root_path` is the app's mount point (ASGI root_path), if any."""
    missing = missing_assets()
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if missing:
        return HTMLResponse(MISSING.format(missing=html.escape(", ".join(missing))), status_code=503,
                            headers=headers)
    return HTMLResponse(_template().replace(_ROOT, html.escape(root_path.rstrip("/"))), headers=headers)


def static_app() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
