"""What the channels module's public routes share: translated JSON refusals, a body read no
further than a limit, and the one account look-up not scoped to a tenant (the URL names it)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.i18n import negotiate, translate
from modules.channels.models import ChannelAccount

NO_STORE = {"Cache-Control": "no-store"}


def refused(request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None, **params: object) -> JSONResponse:
    """A JSON error `{code, message}` in the caller's language (Accept-Language)."""
    text = translate("channels", message, negotiate(request.headers.get("accept-language")), **params)
    return JSONResponse({"code": code, "message": text, **(extra or {})}, status_code=status,
                        headers={**NO_STORE, **(headers or {})})


async def read_body(request: Request, max_bytes: int) -> bytes | None:
    """The body, or None past `max_bytes` (checked as it arrives, not only from Content-Length)."""
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


async def account_at(request: Request, kind: str) -> ChannelAccount | None:
    """The account the URL's public id names, of this kind; None for a malformed or unknown id."""
    try:
        public_id = uuid.UUID(request.path_params["public_id"])
    except ValueError:
        return None
    return await ChannelAccount.filter(public_id=public_id, kind=kind).first()
