"""Masked forms of contact data, for callers without a module's PII permission."""

from __future__ import annotations


def mask_email(value: str) -> str:
    """jane.doe@example.com -> j***@example.com"""
    local, sep, domain = value.partition("@")
    if not sep:
        return value[:1] + "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    """+4915112345678 -> +49*********78 (country code and last two digits kept)."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_text(value: str | None) -> str | None:
    """Street lines, postcodes, names on a parcel: first character only."""
    if not value:
        return value
    return value[:1] + "***"
