"""Guard the GraphQL endpoint's request body before strawberry sees it.

strawberry's view answers HTTP 500 to a body that is valid JSON but not an object, to a deeply
nested array, or to invalid UTF-8; and nothing limits the body's size. This ASGI wrapper reads
the body (at most `max_bytes`), checks it, and answers 400/413 with a GraphQL-shaped error.
A multipart request (file uploads, the GraphQL multipart request spec) may be `max_upload_bytes`
long; its `operations` part gets the same checks as a JSON body, its `map` must be an object of
lists of paths, and its operation must take an `Upload` (schema.uploads).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.i18n import N_, negotiate, translate

MAX_JSON_DEPTH = 64


def _depth_ok(raw: str) -> bool:
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def check_body(body: bytes) -> str | None:
    """None when the body is a well-formed GraphQL request; otherwise why not (a msgid)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return N_("The request body is not valid UTF-8.")
    if not _depth_ok(text):
        return N_("The request body is nested too deeply.")
    try:
        data = json.loads(text)
    except ValueError:
        return N_("The request body is not valid JSON.")
    if not isinstance(data, dict):
        return N_("The request body must be a JSON object with a 'query'.")
    if not isinstance(data.get("query"), str):
        return N_("The request needs a 'query' string.")
    if data.get("variables") is not None and not isinstance(data["variables"], dict):
        return N_("'variables' must be a JSON object.")
    if data.get("operationName") is not None and not isinstance(data["operationName"], str):
        return N_("'operationName' must be a string.")
    return None


MAX_UPLOAD_FILES = 10
BAD_MULTIPART = N_("The multipart request cannot be read: send 'operations', 'map' and the files.")
NOT_AN_UPLOAD = N_("Only an operation that uploads a file may be sent as multipart: send this one as JSON.")
UploadCheck = Callable[[dict[str, Any]], bool]


def _map_ok(raw: object) -> bool:
    try:
        mapping = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return False
    return isinstance(mapping, dict) and all(
        isinstance(paths, list) and all(isinstance(p, str) for p in paths) for paths in mapping.values())


async def check_multipart(scope: Scope, body: bytes, accepts: UploadCheck | None = None) -> str | None:
    """None when the multipart body is a well-formed GraphQL upload request; otherwise why not."""
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, receive).form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES + 2)
    except (MultiPartException, ValueError, KeyError):
        return BAD_MULTIPART
    try:
        operations = form.get("operations")
        if not isinstance(operations, str) or not _map_ok(form.get("map")):
            return BAD_MULTIPART
        problem = check_body(operations.encode("utf-8"))
        if problem is None and accepts is not None and not accepts(json.loads(operations)):
            return NOT_AN_UPLOAD
        return problem
    finally:
        await form.close()


class BodyGuard:
    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None,
                 accepts_upload: UploadCheck | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes
        self.accepts_upload = accepts_upload

    async def _reject(self, scope: Scope, send: Send, status: int, message: str) -> None:
        headers = dict(scope["headers"])
        locale = negotiate(headers.get(b"accept-language", b"").decode("latin-1"))
        text = translate("core", message, locale)
        payload = json.dumps(
            {"data": None, "errors": [{"message": text, "extensions": {"code": "BAD_REQUEST"}}]}
        ).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        multipart = content_type == b"multipart/form-data"
        if content_type != b"application/json" and not multipart:
            await self._reject(scope, send, 415, N_("Send GraphQL requests as application/json."))
            return
        limit = self.max_upload_bytes if multipart else self.max_bytes
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._reject(scope, send, 413, N_("The request body is too large."))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = await check_multipart(scope, body, self.accepts_upload) if multipart else check_body(body)
        if problem:
            await self._reject(scope, send, 400, problem)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
