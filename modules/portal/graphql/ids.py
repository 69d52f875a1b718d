"""The portal's ids are the rows' plain numbers (it has no Node interface): read one, or say why not."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from core.i18n import N_
from modules.portal.errors import client_error, portal_error

NOT_AN_ID = N_("This is not an id.")


def parse_id(value: strawberry.ID | str, path: Sequence[str]) -> int:
    """A plain id, or a payload error INVALID_ID at `path`."""
    text = str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise portal_error("INVALID_ID", NOT_AN_ID, path)
    return int(text)


def query_id(value: strawberry.ID | str, locale: str) -> int:
    """A query argument's plain id, or a GraphQL error INVALID_ID."""
    text = str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise client_error("INVALID_ID", NOT_AN_ID, locale)
    return int(text)
