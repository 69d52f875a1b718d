"""POST /sync/webhooks/{platform}/{channel public id}: a platform's signed webhook for one channel.

A missing signature is 401; a wrong one, an unknown address, or one of another platform or tenant
is 403 alike (the answer never tells whether an address exists), checked in constant time over the
raw bytes before anything is stored. A body over MAX_BYTES is 413, read no further. A retried
delivery (the same event id) is 200 "duplicate" and not applied again (unless it failed: then the
retry applies it); otherwise the event is
stored, applied (the stale-record rule: an older version changes nothing) and answered 200, so the
platform does not retry. A body that is no JSON is 400, stored nowhere.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.i18n import N_
from core.web import NO_STORE, read_body, refusal
from modules.crm.services import read_credentials
from modules.sync.services import connectors, webhooks

log = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024 - 1  # a 10 MB body is refused


async def receive(request: Request) -> Response:
    platform = request.path_params["platform"]
    connector = connectors.connector(platform)
    if connector is None:
        return refusal(request, "sync", 404, "UNKNOWN_PLATFORM", N_("No installed connector takes these webhooks."))
    signature = request.headers.get(connector.signature_header(), "")
    if not signature:
        return refusal(request, "sync", 401, "SIGNATURE_REQUIRED", N_("Sign the webhook with the channel's secret."))
    raw = await read_body(request, MAX_BYTES)
    if raw is None:
        return refusal(request, "sync", 413, "TOO_LARGE", N_("A webhook is at most {max} MB."), max=10)
    found = await webhooks.target(platform, request.path_params["public_id"])
    if found is None or not connector.verify(raw, signature, read_credentials(found.channel)):
        return refusal(request, "sync", 403, "FORBIDDEN", N_("The signature does not match this channel."))
    hook = connector.webhook(request.headers)
    if hook is None:
        return refusal(request, "sync", 400, "EVENT_ID_REQUIRED", N_("The webhook has no event id or topic."))
    try:
        json.loads(raw)
    except ValueError:
        return refusal(request, "sync", 400, "MALFORMED", N_("The webhook's body is not JSON."))
    event, new = await webhooks.store(found.channel, hook, raw)
    if not new and event.status == "processed":
        return JSONResponse({"status": "duplicate", "id": str(event.id)}, headers=NO_STORE)
    await webhooks.process(connector, event)
    return JSONResponse({"status": event.status, "id": str(event.id)}, headers=NO_STORE)


routes = [Route("/sync/webhooks/{platform}/{public_id}", receive, methods=["POST"])]
