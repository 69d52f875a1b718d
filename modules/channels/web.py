"""What the channels module's public routes share: translated JSON refusals, a body read no
further than a limit, and the one account look-up not scoped to a tenant (the URL names it)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.web import NO_STORE, read_body, refusal
from modules.channels.models import ChannelAccount

__all__ = ["NO_STORE", "account_at", "read_body", "refused"]


def refused(request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None, **params: object) -> JSONResponse:
    """A JSON error `{code, message}` in the caller's language (Accept-Language)."""
    return refusal(request, "channels", status, code, message, headers, extra, **params)


async def account_at(request: Request, kind: str) -> ChannelAccount | None:
    """The account the URL's public id names, of this kind; None for a malformed or unknown id."""
    try:
        public_id = uuid.UUID(request.path_params["public_id"])
    except ValueError:
        return None
    return await ChannelAccount.filter(public_id=public_id, kind=kind).first()
