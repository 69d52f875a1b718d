"""Run a mutation's service call, turning user mistakes into payload errors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from strawberry.types import Info

from core.errors import UserError, UserFacingError, UserFacingErrors, user_errors

T = TypeVar("T")


async def attempt(info: Info, call: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """(result, []) on success; (None, translated errors) when the service refused the input."""
    try:
        return await call, []
    except (UserFacingError, UserFacingErrors) as exc:
        return None, user_errors(exc, info.context.locale)
