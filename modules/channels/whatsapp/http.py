"""GET and POST /channels/whatsapp/{account public id}/inbound: Meta's webhook for one number.

GET is the subscription check Meta makes when the admin saves the callback URL: with
`hub.mode=subscribe` and the account's verify token (compared in constant time) it answers
`hub.challenge` as text; anything else is 403. POST carries messages and statuses, signed with
the app secret: a missing `X-Hub-Signature-256` is 401, a wrong one (or an unknown account, or
another account's signature: the same answer) 403, checked over the raw bytes before anything is
stored. Then each message and status of this number goes through the channels pipeline
(`receive`: stored, deduplicated by wamid, threaded); items of another number are left out. A
switched-off account answers 503 with Retry-After (Meta retries for days); a body that is no
WhatsApp notification is kept as failed for admins. 200 otherwise, so Meta does not retry.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.channels import ParseError
from core.i18n import N_
from modules.channels.models import ChannelAccount
from modules.channels.services import credentials, receive
from modules.channels.services.inbound import keep_failed
from modules.channels.web import NO_STORE, account_at, read_body, refused
from modules.channels.whatsapp import KIND
from modules.channels.whatsapp.signature import HEADER, same_token, valid
from modules.channels.whatsapp.webhook import split

log = logging.getLogger(__name__)
MAX_BYTES = 3 * 1024 * 1024  # Meta's notifications stay far below (a batch is at most a few hundred KB)
MAX_CHALLENGE = 256


def _secret(account: ChannelAccount, name: str) -> str:
    value = credentials.read(account).get(name)
    return value if isinstance(value, str) else ""


async def verify(request: Request) -> Response:
    account = await account_at(request, KIND)
    query = request.query_params
    challenge = query.get("hub.challenge", "")
    if (account is None or query.get("hub.mode") != "subscribe" or not challenge or len(challenge) > MAX_CHALLENGE
            or not same_token(query.get("hub.verify_token", ""), _secret(account, "verify_token"))):
        return refused(request, 403, "FORBIDDEN", N_("This verify token does not open this channel."))
    return PlainTextResponse(challenge, headers=NO_STORE)


async def notify(request: Request) -> Response:
    signature = request.headers.get(HEADER, "")
    if not signature:
        return refused(request, 401, "SIGNATURE_REQUIRED",
                       N_("Sign the request with the app secret in the X-Hub-Signature-256 header."))
    account = await account_at(request, KIND)
    raw = await read_body(request, MAX_BYTES)
    if raw is None:
        return refused(request, 413, "TOO_LARGE", N_("A message is at most {max} MB."), max=MAX_BYTES // 2**20)
    if account is None or not valid(raw, signature, _secret(account, "app_secret")):
        return refused(request, 403, "FORBIDDEN", N_("The signature does not match this channel."))
    if not account.enabled:
        return refused(request, 503, "CHANNEL_DISABLED", N_("This channel is switched off: try again later."),
                       {"Retry-After": "600"})
    try:
        items, foreign = split(raw, _secret(account, "phone_number_id"))
    except ParseError as exc:
        outcome = await keep_failed(account, raw, exc.code)
        return JSONResponse({"received": [{"status": outcome.status, "id": str(outcome.inbound_id)}]},
                            headers=NO_STORE)
    if foreign:
        log.warning("whatsapp webhook on channel %s: %s items of another number left out", account.id, foreign)
    outcomes = [await receive(account, item) for item in items]
    return JSONResponse({"received": [{"status": o.status, "id": str(o.inbound_id)} for o in outcomes]},
                        headers=NO_STORE)


routes = [Route("/channels/whatsapp/{public_id}/inbound", verify, methods=["GET"]),
          Route("/channels/whatsapp/{public_id}/inbound", notify, methods=["POST"])]
