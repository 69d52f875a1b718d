"""POST /channels/{kind}/{channel public id}/inbound: a provider forwards one raw message.

The way Mailgun, Postmark or SES forward mail: the body is the raw message (e-mail: MIME). The
account's token comes in the `X-Channel-Token` header or the `token` query parameter and is
compared in constant time with its stored hash; a missing token is 401, a wrong one (or an
account that does not exist, or of another kind) 403, alike, so the answer never tells whether
an id exists. A body over MAX_BYTES is 413, read no further. A switched-off account answers 503
with Retry-After, so the provider keeps the message and tries again. Any other message is taken:
200 with its outcome (a duplicate, or a message that could not be parsed, is kept too, so the
provider must not retry it).
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import channels as kinds
from core.i18n import N_, negotiate, translate
from modules.channels.models import ChannelAccount
from modules.channels.services import receive, tokens

MAX_BYTES = 25 * 1024 * 1024  # what the large mail providers accept for one message
TOKEN_HEADER = "X-Channel-Token"  # noqa: S105 - a header name


def _refused(request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None,
             **params: object) -> JSONResponse:
    text = translate("channels", message, negotiate(request.headers.get("accept-language")), **params)
    return JSONResponse({"code": code, "message": text}, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


async def _body(request: Request) -> bytes | None:
    """The body, or None past MAX_BYTES (checked as it arrives, not only from Content-Length)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def inbound(request: Request) -> JSONResponse:
    token = request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or ""
    if not token:
        return _refused(request, 401, "TOKEN_REQUIRED", N_("Send the channel's token in the X-Channel-Token header."))
    try:
        public_id = uuid.UUID(request.path_params["public_id"])
    except ValueError:
        public_id = None
    # The one look-up not scoped to a tenant: the URL names the account, the token proves it.
    account = await ChannelAccount.filter(public_id=public_id, kind=request.path_params["kind"]).first() \
        if public_id else None
    if account is None or not tokens.matches(token, account.inbound_token_hash) or kinds.kind(account.kind) is None:
        # (a kind whose module was uninstalled included: its account no longer receives)
        return _refused(request, 403, "FORBIDDEN", N_("This token does not open this channel."))
    if not account.enabled:
        return _refused(request, 503, "CHANNEL_DISABLED", N_("This channel is switched off: try again later."),
                        {"Retry-After": "600"})
    raw = await _body(request)
    if raw is None:
        return _refused(request, 413, "TOO_LARGE", N_("A message is at most {max} MB."), max=MAX_BYTES // 2**20)
    outcome = await receive(account, raw)
    return JSONResponse({"status": outcome.status, "id": str(outcome.inbound_id)},
                        headers={"Cache-Control": "no-store"})


routes = [Route("/channels/{kind}/{public_id}/inbound", inbound, methods=["POST"])]
