"""Where a channel's Admin API is: `https://<shop>.myshopify.com`, the tenant giving only the shop's
name, so no tenant can point the server at another host (SSRF). The operator may point every shop at
one other base URL (SHOPIFY_API_BASE_URL: a proxy, the tests' fake), used only when set."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from modules.sync.services.errors import SyncError

API_VERSION = "2025-01"
BASE_URL_ENV = "SHOPIFY_API_BASE_URL"
_SHOP = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")


def shop_name(value: Any) -> str | None:
    """The shop's name from `acme`, `acme.myshopify.com` or `https://acme.myshopify.com/`; None otherwise."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().removeprefix("https://").rstrip("/").removesuffix(".myshopify.com")
    return text if _SHOP.fullmatch(text) else None


def graphql_url(credentials: Mapping[str, Any]) -> str:
    name = shop_name(credentials.get("shop"))
    if name is None:
        raise SyncError("NOT_CONFIGURED")
    base = os.environ.get(BASE_URL_ENV, "").strip().rstrip("/") or f"https://{name}.myshopify.com"
    return f"{base}/admin/api/{API_VERSION}/graphql.json"
