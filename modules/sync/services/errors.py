"""The sync engine's errors: a user's mistake (a payload error) or a platform's refusal (a run's code)."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import UserFacingError


def sync_error(code: str, message: str, path: Sequence[str] | None = None, **params: object) -> UserFacingError:
    return UserFacingError(code, message, field=list(path) if path else None, params=params, domain="sync")


class SyncError(Exception):
    """A run cannot go on (bad credentials, the platform down past its retries): it fails with `code`,
    one of modules.sync.services.runs.ERRORS, whose message the API shows (translated). Never a secret."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
