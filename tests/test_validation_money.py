"""Shared validators and money: normalised values, or field errors naming the field."""

from __future__ import annotations

import pytest

from core import money, validation
from core.errors import UserFacingError


@pytest.mark.parametrize("raw,region,expected", [
    ("0151 12345678", "DE", "+4915112345678"),
    ("+86 138 0013 8000", None, "+8613800138000"),
    ("(415) 555-2671", "us", "+14155552671"),
])
def test_phones_become_e164(raw: str, region: str | None, expected: str) -> None:
    assert validation.phone(raw, region) == expected


@pytest.mark.parametrize("call,code", [
    (lambda: validation.phone("12", "DE"), "INVALID_PHONE"),
    (lambda: validation.phone("0151 12345678"), "INVALID_PHONE"),
    (lambda: validation.country("XX"), "INVALID_COUNTRY"),
    (lambda: validation.country("DEU"), "INVALID_COUNTRY"),
    (lambda: validation.currency("EURO"), "INVALID_CURRENCY"),
    (lambda: validation.currency("XYZ"), "INVALID_CURRENCY"),
    (lambda: validation.language("klingon-!!"), "INVALID_LANGUAGE"),
    (lambda: validation.timezone("Europe/Atlantis"), "INVALID_TIMEZONE"),
    (lambda: validation.email("no-at-sign"), "INVALID_EMAIL"),
    (lambda: money.to_minor("12.345", "EUR"), "TOO_MANY_DECIMALS"),
    (lambda: money.to_minor("1.5", "JPY"), "TOO_MANY_DECIMALS"),
    (lambda: money.to_minor("abc", "EUR"), "INVALID_AMOUNT"),
    (lambda: money.to_minor("NaN", "EUR"), "INVALID_AMOUNT"),
])
def test_bad_values_get_specific_errors(call: object, code: str) -> None:
    with pytest.raises(UserFacingError) as info:
        call()  # type: ignore[operator]
    assert info.value.code == code


def test_normal_forms() -> None:
    assert validation.country(" de ") == "DE"
    assert validation.currency("jpy") == "JPY"
    assert validation.language("zh_hans") == "zh-Hans"
    assert validation.email("  Ana@Example.COM ") == "ana@example.com"
    with pytest.raises(UserFacingError) as info:
        validation.email("x", field=["emails", "2"])
    assert info.value.field == ["emails", "2"]


def test_money_is_integer_minor_units() -> None:
    assert money.to_minor("12.34", "EUR") == 1234
    assert money.to_minor("1200", "JPY") == 1200
    assert money.to_minor("1.234", "KWD") == 1234
    assert money.to_minor("0.1", "USD") + money.to_minor("0.2", "USD") == money.to_minor("0.3", "USD")
    assert money.format_money(123456, "EUR", "de") == "1.234,56\xa0€"
    assert money.format_money(1200, "JPY", "en") == "¥1,200"
    errors: list[UserFacingError] = []
    assert validation.collect(errors, validation.country, "ZZ") is None
    assert validation.collect(errors, validation.country, "fr") == "FR"
    assert [e.code for e in errors] == ["INVALID_COUNTRY"]


@pytest.mark.parametrize("amount", ["1e40", "10000000000000.01", "-10000000000000.01"])
def test_amounts_past_what_a_64_bit_column_and_its_sums_hold_are_refused(amount: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        money.to_minor(amount, "EUR")
    assert refused.value.code == "AMOUNT_TOO_LARGE"
    assert money.to_minor("10000000000000", "EUR") == money.MAX_MINOR
