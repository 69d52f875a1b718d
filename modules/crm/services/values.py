"""A customer's coded values, checked and normalised alike wherever they are given: createCustomer and
updateCustomer, the customers filter (customers, tagCustomers, exportCustomers) and segment rules.

country `de` -> `DE` (INVALID_COUNTRY otherwise), language `de_de` -> `de-DE` (INVALID_LANGUAGE), currency
`eur` -> `EUR` (INVALID_CURRENCY), tier and stage one of their fixed choices (INVALID_CHOICE). A value that
cannot be stored is refused the same way when it is searched for, so a filter never silently matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core import validation
from core.i18n import N_
from modules.crm.models.customer import STAGES, TIERS
from modules.crm.services.errors import crm_error

Check = Callable[[str, Sequence[str]], str]


def choice(value: object, allowed: Sequence[str], path: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise crm_error("INVALID_CHOICE", N_("Choose one of: {choices}."), path, choices=", ".join(allowed))
    return value


def tier(value: object, path: Sequence[str] = ("tier",)) -> str:
    return choice(value, TIERS, path)


def stage(value: object, path: Sequence[str] = ("stage",)) -> str:
    return choice(value, STAGES, path)


def country(value: str, path: Sequence[str] = ("country",)) -> str:
    return validation.country(value, path)


def language(value: str, path: Sequence[str] = ("language",)) -> str:
    return validation.language(value, path)


def currency(value: str, path: Sequence[str] = ("currency",)) -> str:
    return validation.currency(value, path)


def each(check: Check, values: Sequence[str] | None, path: Sequence[str]) -> list[str] | None:
    """A list of values normalised by `check`, each once (an error names its index: ["countries", "1"])."""
    if values is None:
        return None
    return list(dict.fromkeys(check(v, [*path, str(i)]) for i, v in enumerate(values)))
