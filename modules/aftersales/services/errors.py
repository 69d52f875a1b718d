"""The aftersales module's user-facing error: an English msgid in the "aftersales" gettext domain,
the input path it concerns and its parameters, so every aftersales service reports mistakes alike."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import UserFacingError


def aftersales_error(code: str, message: str, path: Sequence[str] | None = None, **params: object
                     ) -> UserFacingError:
    return UserFacingError(code, message, field=list(path) if path else None, params=params, domain="aftersales")
