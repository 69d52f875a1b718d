"""The automation module's user-facing error, in its own gettext domain."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import UserFacingError


def automation_error(code: str, message: str, path: Sequence[str] | None = None,
                     **params: object) -> UserFacingError:
    return UserFacingError(code, message, field=list(path) if path else None, params=params, domain="automation")
