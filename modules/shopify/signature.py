"""Shopify's webhook signature: `X-Shopify-Hmac-Sha256`, the base64 HMAC-SHA256 of the raw body
with the app's secret, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac

HEADER = "X-Shopify-Hmac-Sha256"


def sign(raw: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def valid(raw: bytes, signature: str, secret: str) -> bool:
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(raw, secret).encode(), signature.strip().encode())
