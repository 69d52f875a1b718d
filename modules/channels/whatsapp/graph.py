"""Replies out through the Graph API: `POST {WHATSAPP_GRAPH_URL}/<phone_number_id>/messages`
with the account's bearer token; the answer's `messages[0].id` (a wamid) is the provider id.

The base URL is the operator's setting (environment `WHATSAPP_GRAPH_URL`), never a tenant's: a
URL a tenant could set would let them make our servers call any address. Our own id goes along
as `biz_opaque_callback_data`, which Meta echoes in every status, so a receipt finds its
delivery even when the worker died before it recorded the wamid.

The Graph API has no idempotency key: a send whose answer was lost (a timeout after Meta took
it) is sent again on retry, and the customer may see it twice. Temporary: a timeout, a refused
connection, HTTP 429 and 5xx, and the throttling and outage codes below; any other Graph error
is permanent (131047: the 24-hour window closed; 131026: undeliverable; 190: token expired).
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from core.channels import Account, Outbound, PermanentFailure, Sent, Template, TemporaryFailure

DEFAULT_URL = "https://graph.facebook.com/v21.0"
TIMEOUT = 30.0
# https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes: throttling (4,
# 80007, 130429, 131048 spam rate, 131056 pair rate) and the service's own trouble (1, 2,
# 131000, 131016, 131057 maintenance, 133004 server unavailable).
TEMPORARY_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 131057, 133004})


def base_url() -> str:
    return os.environ.get("WHATSAPP_GRAPH_URL", DEFAULT_URL).rstrip("/")


def recipient(address: str) -> str:
    """A wa_id is the number's digits, without the + of E.164."""
    return address.strip().lstrip("+")


def _template(template: Template) -> dict[str, Any]:
    body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if template.parameters:
        body["components"] = [{"type": "body", "parameters": [
            {"type": "text", "text": value} for value in template.parameters]}]
    return {"type": "template", "template": body}


def request_body(message: Outbound) -> dict[str, Any]:
    content = (_template(message.template) if message.template
               else {"type": "text", "text": {"body": message.body, "preview_url": False}})
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient(message.to),
            **content, "biz_opaque_callback_data": message.provider_id}


def failure(response: httpx.Response) -> TemporaryFailure | PermanentFailure:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error, dict) else None
    if not isinstance(code, int):
        temporary = response.status_code == 429 or response.status_code >= 500
        return (TemporaryFailure if temporary else PermanentFailure)(f"http_{response.status_code}")
    text = str(error.get("message", ""))[:255]
    return (TemporaryFailure if code in TEMPORARY_CODES or response.status_code >= 500
            else PermanentFailure)(f"whatsapp_{code}", text)


async def call(client: httpx.AsyncClient, method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
    """One Graph API request with the number's token; a successful answer, else the failure it
    means (a timeout or a lost connection is temporary)."""
    try:
        response = await client.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
    except httpx.TimeoutException:
        raise TemporaryFailure("timeout") from None
    except httpx.TransportError:
        raise TemporaryFailure("connection_failed") from None
    if not response.is_success:
        raise failure(response)
    return response


async def send(account: Account, message: Outbound) -> Sent:
    credentials = account.credentials
    url = f"{base_url()}/{credentials.get('phone_number_id')}/messages"
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await call(client, "POST", url, str(credentials.get("access_token", "")),
                              json=request_body(message))
    try:
        answer = response.json()["messages"][0]
        wamid = str(answer["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise PermanentFailure("invalid_response") from None  # taken or not, unknown: never sent twice
    return Sent(response=str(answer.get("message_status") or "accepted")[:255], provider_id=wamid)
