"""Validators for the values every cross-border record carries: e-mail, phone, country, currency,
language, time zone. Each returns the normalised value or raises a field-level UserFacingError."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import available_timezones

import phonenumbers
import pycountry
from babel import Locale, UnknownLocaleError

from core.errors import UserFacingError
from core.i18n import N_

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TIMEZONES = frozenset(available_timezones())


def email(value: str, field: Sequence[str] = ("email",)) -> str:
    """Trimmed and lower-cased (look-ups by e-mail compare this form)."""
    normalised = value.strip().lower()
    if len(normalised) > 254 or not _EMAIL.match(normalised):
        raise UserFacingError("INVALID_EMAIL", N_("This is not a valid e-mail address."), field=list(field))
    return normalised


def phone(value: str, region: str | None = None, field: Sequence[str] = ("phone",)) -> str:
    """E.164 (`+4915112345678`); `region` (ISO country) reads numbers written without +code."""
    try:
        parsed = phonenumbers.parse(value, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise UserFacingError("INVALID_PHONE", N_("This is not a valid phone number."), field=list(field))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# The look-ups below are pure and a file repeats the same few codes on every row: cached, they cost
# nothing after the first row (an import spent a fifth of its validation time in them).
@lru_cache(maxsize=1024)
def _is_country(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


@lru_cache(maxsize=1024)
def _is_currency(code: str) -> bool:
    return len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None


@lru_cache(maxsize=4096)
def _canonical_language(tag: str) -> str | None:
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    return "-".join(p for p in (locale.language, locale.script, locale.territory) if p)


def country(value: str, field: Sequence[str] = ("country",)) -> str:
    """ISO 3166-1 alpha-2, upper case."""
    code = value.strip().upper()
    if not _is_country(code):
        raise UserFacingError("INVALID_COUNTRY", N_("{value} is not an ISO 3166 country code."),
                              field=list(field), params={"value": value})
    return code


def currency(value: str, field: Sequence[str] = ("currency",)) -> str:
    """ISO 4217, upper case."""
    code = value.strip().upper()
    if not _is_currency(code):
        raise UserFacingError("INVALID_CURRENCY", N_("{value} is not an ISO 4217 currency code."),
                              field=list(field), params={"value": value})
    return code


def language(value: str, field: Sequence[str] = ("language",)) -> str:
    """A BCP 47 tag babel knows, in canonical form (`de-DE`, `zh-Hans`)."""
    canonical = _canonical_language(value.strip().replace("_", "-")[:64])
    if canonical is None:
        raise UserFacingError("INVALID_LANGUAGE", N_("Unknown language {tag}."), field=list(field),
                              params={"tag": value})
    return canonical


def timezone(value: str, field: Sequence[str] = ("timezone",)) -> str:
    if value not in _TIMEZONES:
        raise UserFacingError("INVALID_TIMEZONE", N_("Unknown time zone {tz}."), field=list(field),
                              params={"tz": value})
    return value


T = TypeVar("T")


def collect(errors: list[UserFacingError], check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one check; on failure keep its error (so a form reports every bad field at once)."""
    try:
        return check(*args, **kwargs)
    except UserFacingError as exc:
        errors.append(exc)
        return None
