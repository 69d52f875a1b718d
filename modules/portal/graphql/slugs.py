"""Readable article addresses without a column of their own: `<id>-<title words>`
(`42-how-to-return-an-item`, `42-artikel-zurücksenden`). Only the id counts when one is read back,
so a retitled or translated article keeps every link that was ever shared."""

from __future__ import annotations

import re

_NOT_A_WORD = re.compile(r"[\W_]+")
_LEADING_ID = re.compile(r"^(\d{1,18})(?:-|$)")
MAX_WORDS = 80  # characters of title in a slug


def slug(article_id: int, title: str) -> str:
    words = _NOT_A_WORD.sub("-", title.lower())[:MAX_WORDS].strip("-")
    return f"{article_id}-{words}" if words else str(article_id)


def article_id(value: str) -> int | None:
    """The id a slug starts with, or None when it starts with none."""
    match = _LEADING_ID.match(value.strip())
    return int(match.group(1)) if match else None
