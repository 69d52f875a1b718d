"""The crm module's user-facing error: one helper, so every crm service reports mistakes alike
(an English msgid in the "crm" gettext domain, the input path it concerns, its parameters)."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import UserFacingError


def crm_error(code: str, message: str, path: Sequence[str] | None = None, **params: object) -> UserFacingError:
    return UserFacingError(code, message, field=list(path) if path else None, params=params, domain="crm")
