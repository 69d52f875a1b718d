"""The portal's errors, in its own gettext domain: payload errors for a buyer's mistakes, GraphQL
errors (with a code) for a token that does not open anything."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import ClientError, UserFacingError
from core.i18n import N_

DOMAIN = "portal"
TOKEN_REQUIRED = N_("Enter your order number and e-mail address or phone number first.")
TOKEN_EXPIRED = N_("Your session has expired: enter your order number and e-mail address or phone number again.")
TOKEN_INVALID = N_("This link is not valid: enter your order number and e-mail address or phone number again.")


def portal_error(code: str, message: str, path: Sequence[str] | None = None, **params: object) -> UserFacingError:
    return UserFacingError(code, message, field=list(path) if path else None, params=params, domain=DOMAIN)


def client_error(code: str, message: str, locale: str, **params: object) -> ClientError:
    return ClientError(code, message, locale, DOMAIN, **params)


def query_error(exc: UserFacingError, locale: str) -> ClientError:
    """A service's refusal of a query argument, as a GraphQL error in its own domain's words."""
    return ClientError(exc.code, exc.message, locale, exc.domain, **exc.params)
