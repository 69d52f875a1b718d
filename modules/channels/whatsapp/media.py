"""A customer's media, downloaded from the Graph API: `GET {WHATSAPP_GRAPH_URL}/<media id>` with the
account's token answers a short-lived URL with the file's MIME type, sha256 and size; the bytes
come from that URL, with the same token. A file larger than the channels' limit is not
downloaded at all, and bytes whose sha256 is not the one Meta gave are refused.

The download URL comes from Meta's answer, so it is followed only to Meta's own hosts (or the
operator's WHATSAPP_GRAPH_URL host): an answer that names any other address is refused.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlsplit

import httpx

from core.channels import Account, MediaRef, PermanentFailure
from modules.channels.whatsapp.graph import TIMEOUT, base_url, call

MEDIA_HOSTS = (".fbsbx.com", ".facebook.com", ".fbcdn.net", ".whatsapp.net")


def _allowed(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host and host == urlsplit(base_url()).hostname:
        return True
    return parts.scheme == "https" and host.endswith(MEDIA_HOSTS)


async def fetch_media(account: Account, ref: MediaRef, max_bytes: int) -> bytes:
    token = str(account.credentials.get("access_token", ""))
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        answer = await call(client, "GET", f"{base_url()}/{ref.media_id}", token)
        try:
            info: dict[str, Any] = answer.json()
            url, size = str(info["url"]), int(info.get("file_size") or 0)
        except (ValueError, KeyError, TypeError):
            raise PermanentFailure("invalid_response") from None
        if size > max_bytes:
            raise PermanentFailure("too_large")
        if not _allowed(url):
            raise PermanentFailure("media_host_refused")
        data = (await call(client, "GET", url, token)).content
    if len(data) > max_bytes:
        raise PermanentFailure("too_large")
    expected = str(info.get("sha256") or ref.sha256 or "")
    digest = hashlib.sha256(data).digest()
    if expected and expected.lower() != digest.hex() and expected != base64.b64encode(digest).decode():
        raise PermanentFailure("checksum_mismatch")  # (Meta's hash: hex, or base64 in some answers)
    return data
