"""GET and POST /channels/form/{public id}: the web contact form, public (no staff login).

GET hands out the signed "form opened at" stamp (form.stamp); POST takes the JSON submission.
Checked in this order, and nothing is stored until every check passed: an unknown id is 404, a
switched-off form 503 with Retry-After, past a rate limit 429 with Retry-After (per client
address and per form, counted in the database like failed logins, every attempt that got that
far counting, a refused one included), a body past MAX_BYTES 413, bad JSON or fields 400 INVALID_INPUT with each field's
path, a filled honeypot (`website`) 400 too, a stamp too fresh 400 TOO_FAST, a forged or expired
one 400 FORM_EXPIRED. Then the submission goes through the channels pipeline (`receive`), under
the stamp's nonce as its id: a stamp opens one ticket, a second post with it answers `duplicate`.
Errors are in the caller's Accept-Language; nothing the sender typed is logged. Answers carry
`Access-Control-Allow-Origin: *` so the tenant's storefront can post from its own domain (the
route takes no credentials, so no origin gains anything by it).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core import validation
from core.auth import ratelimit
from core.auth.client_address import client_address
from core.errors import UserFacingError
from core.i18n import N_, negotiate
from modules.channels.form import KIND, stamp
from modules.channels.models import ChannelAccount
from modules.channels.services import receive
from modules.channels.services.errors import channels_error
from modules.channels.web import NO_STORE, account_at, read_body, refused

MAX_BYTES = 64 * 1024
PER_ADDRESS, ADDRESS_WINDOW = 5, 600  # submissions per client address per 10 minutes
PER_FORM, FORM_WINDOW = 200, 3600  # submissions per form (a tenant's channel) per hour
LIMITS = {"name": 200, "subject": 255, "message": 20_000, "order_number": 64, "submission_id": 100}
CORS = {"Access-Control-Allow-Origin": "*"}


def _error(request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None,
           **kw: Any) -> JSONResponse:
    return refused(request, status, code, message, {**CORS, **(headers or {})}, **kw)


async def _account(request: Request) -> ChannelAccount | JSONResponse:
    account = await account_at(request, KIND)
    if account is None:
        return _error(request, 404, "NOT_FOUND", N_("There is no such form."))
    if not account.enabled:
        return _error(request, 503, "CHANNEL_DISABLED", N_("This form is switched off: try again later."),
                      {"Retry-After": "600"})
    return account


async def opened(request: Request) -> Response:
    """The stamp a form page fetches when it shows the form."""
    found = await _account(request)
    if isinstance(found, Response):
        return found
    token = stamp.issue(request.app.state.rt.settings.secret_key, str(found.public_id))
    return JSONResponse({"started_at_token": token, "min_seconds": stamp.MIN_SECONDS,
                         "expires_in": stamp.MAX_AGE}, headers={**NO_STORE, **CORS})


def _text(errors: list[UserFacingError], data: dict[str, Any], name: str, *, required: bool) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors.append(channels_error("REQUIRED", N_("This field is required."), [name]))
        return ""
    if not isinstance(value, str):
        errors.append(channels_error("INVALID_TYPE", N_("This field is text."), [name]))
        return ""
    value = value.strip()
    if required and not value:
        errors.append(channels_error("REQUIRED", N_("This field is required."), [name]))
    if len(value) > LIMITS.get(name, 254):
        errors.append(channels_error("TOO_LONG", N_("This field has at most {max} characters."), [name],
                                     max=LIMITS.get(name, 254)))
    return value


def _fields(data: dict[str, Any]) -> tuple[dict[str, str], list[UserFacingError]]:
    """The submission normalised for the kind's parse, and every field's error at once."""
    errors: list[UserFacingError] = []
    out = {name: _text(errors, data, name, required=True) for name in ("name", "email", "subject", "message")}
    for name in ("order_number", "language", "submission_id"):
        out[name] = _text(errors, data, name, required=False)
    if out["email"]:
        out["email"] = validation.collect(errors, validation.email, out["email"], ["email"]) or ""
    if out["language"]:
        out["language"] = validation.collect(errors, validation.language, out["language"], ["language"]) or ""
    if data.get("website"):  # the honeypot: hidden from people, filled in by bots
        errors.append(channels_error("MUST_BE_EMPTY", N_("Leave this field empty."), ["website"]))
    _text(errors, data, "started_at_token", required=True)
    return out, errors


async def _limited(request: Request, account: ChannelAccount) -> JSONResponse | None:
    """Count this attempt per client address, then per form; 429 past either limit. The count
    is the one the increment returned, so concurrent submissions cannot slip past a limit."""
    address = client_address(request, request.app.state.rt.settings.trusted_proxies)
    for key, limit, window in ((f"form:ip:{address}"[:120], PER_ADDRESS, ADDRESS_WINDOW),
                               (f"form:channel:{account.public_id}", PER_FORM, FORM_WINDOW)):
        if await ratelimit.hit(key, window) > limit:
            wait = max(1, await ratelimit.seconds_left(key))
            return _error(request, 429, "RATE_LIMITED", N_("Too many messages: try again in {minutes} minutes."),
                          {"Retry-After": str(wait)}, minutes=-(-wait // 60))
    return None


async def submit(request: Request) -> Response:
    found = await _account(request)
    if isinstance(found, Response):
        return found
    account = found
    if (limited := await _limited(request, account)) is not None:
        return limited
    raw = await read_body(request, MAX_BYTES)
    if raw is None:
        return _error(request, 413, "TOO_LARGE", N_("A message is at most {max} KB."), max=MAX_BYTES // 1024)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        return _error(request, 400, "INVALID_INPUT", N_("Send the form as a JSON object."), extra={"errors": []})
    fields, errors = _fields(data)
    if errors:
        locale = negotiate(request.headers.get("accept-language"))
        return _error(request, 400, "INVALID_INPUT", N_("Some fields need correcting."), extra={"errors": [
            {"field": list(e.field or []), "code": e.code, "message": e.localized(locale)} for e in errors]})
    verdict = stamp.check(request.app.state.rt.settings.secret_key, str(account.public_id),
                          str(data["started_at_token"]))
    if verdict is stamp.Verdict.TOO_FAST:
        return _error(request, 400, "TOO_FAST", N_("That was sent too quickly: wait a few seconds and send it again."))
    if verdict is stamp.Verdict.INVALID:
        return _error(request, 400, "FORM_EXPIRED", N_("This form has expired: reload the page and send it again."))
    # The stamp is the submission's id: used once, whatever submission_id the page sent.
    fields["submission_id"] = f"stamp:{stamp.nonce(str(data['started_at_token']))}"
    outcome = await receive(account, json.dumps(fields, ensure_ascii=False).encode())
    if outcome.reason == "unknown_sender":  # a form for customers only (kept for admins all the same)
        return _error(request, 403, "UNKNOWN_SENDER", N_("This form takes messages from our customers only: "
                                                          "use the e-mail address you ordered with."))
    # Stored whatever happens next: even "failed" is kept for admins, so the sender must not resend.
    return JSONResponse({"status": outcome.status}, headers={**NO_STORE, **CORS})


async def preflight(request: Request) -> Response:
    """A browser asks before posting JSON from the storefront's origin."""
    return Response(status_code=204, headers={**CORS, "Access-Control-Allow-Methods": "GET, POST",
                                              "Access-Control-Allow-Headers": "Content-Type, Accept-Language",
                                              "Access-Control-Max-Age": "86400"})


routes = [Route("/channels/form/{public_id}", opened, methods=["GET"]),
          Route("/channels/form/{public_id}", submit, methods=["POST"]),
          Route("/channels/form/{public_id}", preflight, methods=["OPTIONS"])]
