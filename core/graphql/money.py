"""Money in GraphQL: an exact decimal amount (never a float), its currency, and a display form."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from core.i18n import format_locale
from core.money import format_money, to_decimal


@strawberry.type(description="An amount of money. `amount` is exact (a decimal string).")
class Money:
    amount: Decimal
    currency: str
    minor: strawberry.Private[int]
    locale: strawberry.Private[str]

    @strawberry.field(description="For people, in the caller's locale (Accept-Language).")
    def formatted(self) -> str:
        # Formatting costs ~25 us with babel: only when asked for.
        return format_money(self.minor, self.currency, self.locale)

    @strawberry.field(description="In another locale (BCP 47), such as the customer's language when an agent "
                                  "quotes an amount to them; a locale nobody knows falls back to English.")
    def formatted_in(self, locale: str) -> str:
        return format_money(self.minor, self.currency, format_locale(locale[:64]))

    @classmethod
    def of(cls, minor: int, currency: str, locale: str) -> Money:
        return cls(amount=to_decimal(minor, currency), currency=currency, minor=minor, locale=locale)
