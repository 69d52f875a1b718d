"""What modules' public routes (webhooks) share: a body read no further than a limit (413 without
holding a huge body: checked as it arrives, not only from Content-Length) and translated JSON
refusals."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.i18n import negotiate, translate

NO_STORE = {"Cache-Control": "no-store"}


async def read_body(request: Request, max_bytes: int) -> bytes | None:
    """The body, or None past `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def refusal(request: Request, domain: str, status: int, code: str, message: str,
            headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None,
            **params: object) -> JSONResponse:
    """A JSON error `{code, message}`, the msgid of `domain` in the caller's language (Accept-Language)."""
    text = translate(domain, message, negotiate(request.headers.get("accept-language")), **params)
    return JSONResponse({"code": code, "message": text, **(extra or {})}, status_code=status,
                        headers={**NO_STORE, **(headers or {})})
