"""Run a mutation's service call, turning user mistakes into payload errors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from strawberry.types import Info

from core.errors import UserError, UserFacingError, UserFacingErrors, user_errors
from core.graphql.error_paths import api_path

T = TypeVar("T")


async def attempt(info: Info, call: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """(result, []) on success; (None, translated errors, their paths in the API's names) when the
    service refused the input."""
    try:
        return await call, []
    except (UserFacingError, UserFacingErrors) as exc:
        errors = user_errors(exc, info.context.locale)
        for error in errors:
            if error.field:
                error.field = api_path(info, error.field)
        return None, errors
