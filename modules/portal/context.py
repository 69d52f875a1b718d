"""The per-request context of the portal's resolvers: the tenant the URL names, the caller's
languages and address, and the buyer a portal token names (never a staff principal)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from core.auth.principal import Principal
from core.runtime import Runtime
from modules.portal import tokens
from modules.portal.errors import TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_REQUIRED, client_error


@dataclass(frozen=True)
class Shop:
    """The tenant a portal URL names."""

    id: int
    slug: str
    locale: str  # its default locale (BCP 47)

    @property
    def region(self) -> str | None:
        """`de-DE` -> `DE`: how a phone number typed without a country code is read."""
        return self.locale.split("-")[1].upper() if "-" in self.locale else None


@dataclass
class PortalContext:
    request: Request
    rt: Runtime
    shop: Shop
    locale: str  # the interface language (core.i18n.negotiate)
    format_locale: str  # numbers, dates and money
    # The language Accept-Language asks for first, when it was sent: any babel knows (articles may be
    # written in languages the interface does not speak).
    reader_language: str | None
    client_ip: str

    def buyer(self, token: str | None) -> tokens.Buyer:
        """The buyer a portal token names: the `token` argument, else `Authorization: Bearer`.
        Missing, altered, another tenant's or expired: a coded GraphQL error in the caller's language."""
        if not token:
            scheme, _, value = (self.request.headers.get("authorization") or "").partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else ""
        if not token:
            raise client_error("TOKEN_REQUIRED", TOKEN_REQUIRED, self.locale)
        found = tokens.verify(self.rt.settings.secret_key, token)
        if found is tokens.Verdict.EXPIRED:
            raise client_error("TOKEN_EXPIRED", TOKEN_EXPIRED, self.locale)
        if isinstance(found, tokens.Verdict) or found.tenant_id != self.shop.id:
            raise client_error("TOKEN_INVALID", TOKEN_INVALID, self.locale)
        return found

    @property
    def actor(self) -> Principal:
        """Who a buyer's change is recorded as: the system, acting through the portal (no user)."""
        return Principal.system(self.shop.id, "portal", self.shop.locale)
