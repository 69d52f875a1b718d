"""Checks the program, rule and tier inputs share: a value among choices, a whole number in a range."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import UserFacingError
from core.i18n import N_
from core.money import MAX_MINOR
from modules.loyalty.services.errors import loyalty_error


def choice(errors: list[UserFacingError], value: Any, choices: Sequence[str], path: str) -> None:
    if value not in choices:
        errors.append(loyalty_error("INVALID_CHOICE", N_("Choose one of: {choices}."), [path],
                                    choices=", ".join(choices)))


def whole(errors: list[UserFacingError], value: Any, low: int, high: int, path: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append(loyalty_error("OUT_OF_RANGE", N_("A whole number from {low} to {high}."), [path],
                                    low=low, high=high))


def whole_number(errors: list[UserFacingError], value: Decimal | str, path: str) -> int | None:
    """A count of points given as a decimal string: "1500" yes, "1.5" no."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or abs(number) > MAX_MINOR:
        errors.append(loyalty_error("NOT_WHOLE", N_("Give a whole number of points."), [path]))
        return None
    return int(number)
