"""Who makes a redemption's reward code: the seam where a platform connector plugs in.

This version knows the manual issuer only (the seller made the code by hand and types it in). A
connector (the sync issue's Shopify `discountCodeBasicCreate`, say) registers an issuer that makes
the code on the platform; `confirm_redemption` then asks it instead, and a failure releases the points.
"""

from __future__ import annotations

from typing import Protocol

from core.i18n import N_
from modules.loyalty.models import Redemption
from modules.loyalty.services.errors import loyalty_error

MAX_CODE = 64


class CodeIssuer(Protocol):
    name: str

    async def issue(self, redemption: Redemption, given: str | None) -> str:
        """The code the customer will use; raise a UserFacingError to refuse."""


class ManualIssuer:
    name = "manual"

    async def issue(self, redemption: Redemption, given: str | None) -> str:
        code = (given or "").strip()
        if not 1 <= len(code) <= MAX_CODE or not code.isprintable():
            raise loyalty_error("INVALID_CODE", N_("Give the reward code, 1 to {max} characters."), ["code"],
                                max=MAX_CODE)
        return code


_issuers: dict[str, CodeIssuer] = {"manual": ManualIssuer()}


def register_issuer(issuer: CodeIssuer) -> None:
    _issuers[issuer.name] = issuer


def issuer(name: str) -> CodeIssuer:
    return _issuers.get(name) or _issuers["manual"]
