"""POST /channels/{kind}/{channel public id}/inbound: a provider forwards one raw message.

The way Mailgun, Postmark or SES forward mail: the body is the raw message (e-mail: MIME). The
account's token comes in the `X-Channel-Token` header or the `token` query parameter and is
compared in constant time with its stored hash; a missing token is 401, a wrong one (or an
account that does not exist, or of another kind) 403, alike, so the answer never tells whether
an id exists. A body over MAX_BYTES is 413, read no further. A switched-off account answers 503
with Retry-After, so the provider keeps the message and tries again. Any other message is taken:
200 with its outcome (a duplicate, or a message that could not be parsed, is kept too, so the
provider must not retry it).

The web contact form's public routes (modules.channels.form.http) and WhatsApp's signed webhook
(modules.channels.whatsapp.http, on the same path, matched first) are mounted beside it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import channels as kinds
from core.i18n import N_
from modules.channels.form import http as form
from modules.channels.services import receive, tokens
from modules.channels.web import NO_STORE, account_at, read_body, refused
from modules.channels.whatsapp import http as whatsapp

MAX_BYTES = 25 * 1024 * 1024  # what the large mail providers accept for one message
TOKEN_HEADER = "X-Channel-Token"  # noqa: S105 - a header name


async def inbound(request: Request) -> JSONResponse:
    token = request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or ""
    if not token:
        return refused(request, 401, "TOKEN_REQUIRED", N_("Send the channel's token in the X-Channel-Token header."))
    # The one look-up not scoped to a tenant: the URL names the account, the token proves it.
    account = await account_at(request, request.path_params["kind"])
    kind = kinds.kind(account.kind) if account is not None else None
    if (account is None or kind is None or not kind.inbound_token
            or not tokens.matches(token, account.inbound_token_hash)):
        # (a kind whose module was uninstalled included: its account no longer receives; and a
        # kind that signs its webhooks is never opened by a token: whatsapp.http takes those)
        return refused(request, 403, "FORBIDDEN", N_("This token does not open this channel."))
    if not account.enabled:
        return refused(request, 503, "CHANNEL_DISABLED", N_("This channel is switched off: try again later."),
                        {"Retry-After": "600"})
    raw = await read_body(request, MAX_BYTES)
    if raw is None:
        return refused(request, 413, "TOO_LARGE", N_("A message is at most {max} MB."), max=MAX_BYTES // 2**20)
    outcome = await receive(account, raw)
    answer = {"status": outcome.status, "id": str(outcome.inbound_id)}
    if outcome.reason:
        answer["reason"] = outcome.reason  # why it opened nothing (unknown_sender, auto_reply, loop...)
    return JSONResponse(answer,
                        headers=NO_STORE)


routes = [*whatsapp.routes, Route("/channels/{kind}/{public_id}/inbound", inbound, methods=["POST"]), *form.routes]
