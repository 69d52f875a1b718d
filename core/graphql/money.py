"""Money in GraphQL: an exact decimal amount (never a float), its currency, and a display form."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from core.money import format_money, to_decimal


@strawberry.type(description="An amount of money. `amount` is exact (a decimal string).")
class Money:
    amount: Decimal
    currency: str
    formatted: str = strawberry.field(description="For people, in the caller's locale (Accept-Language).")

    @classmethod
    def of(cls, minor: int, currency: str, locale: str) -> Money:
        return cls(amount=to_decimal(minor, currency), currency=currency,
                   formatted=format_money(minor, currency, locale))
