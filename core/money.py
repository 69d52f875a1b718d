"""Money as integer minor units plus an ISO 4217 currency; never a float."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

from core.errors import UserFacingError
from core.i18n import N_


@lru_cache(maxsize=512)
def exponent(currency: str) -> int:
    """Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD (cached: an import asks per amount)."""
    return int(get_currency_precision(currency))


# 10^15 minor units (ten trillion euros): far past any order, far inside a 64-bit column and its sums.
MAX_MINOR = 10**15


def to_minor(amount: str | Decimal | int, currency: str, field: Sequence[str] = ("amount",)) -> int:
    """"12.34" EUR -> 1234. Refuses more decimals than the currency has, and non-numbers."""
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite():
        raise UserFacingError("INVALID_AMOUNT", N_("{value} is not an amount."), field=list(field),
                              params={"value": amount})
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise UserFacingError("TOO_MANY_DECIMALS", N_("{currency} amounts have {digits} decimal(s)."),
                              field=list(field), params={"currency": currency, "digits": exponent(currency)})
    if abs(scaled) > MAX_MINOR:
        raise UserFacingError("AMOUNT_TOO_LARGE", N_("{value} is more than any amount sellercare stores."),
                              field=list(field), params={"value": amount})
    return int(scaled.to_integral_value(ROUND_HALF_EVEN))


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(minor: int, currency: str, locale: str) -> str:
    """For people: 1234 EUR in de -> '12,34 €'; in zh_Hans -> '€12.34'."""
    return format_currency(to_decimal(minor, currency), currency, locale=locale.replace("-", "_"))
