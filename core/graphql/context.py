"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request

from core.auth.authenticate import still_authenticated
from core.auth.principal import Principal
from core.errors import ClientError
from core.i18n import N_
from core.runtime import Runtime

# How long a websocket's membership is trusted between two checks (an access token's expiry is
# checked on every event): a revoked membership stops receiving within this many seconds.
RECHECK_SECONDS = 3.0
CREDENTIALS_ENDED = N_("Your credentials are no longer valid: log in again.")


@dataclass
class Context:
    request: Request | None
    rt: Runtime
    locale: str
    format_locale: str = "en"
    principal: Principal | None = None
    auth_error: GraphQLError | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    # A websocket's connection_init payload (strawberry sets it): where browsers send credentials.
    connection_params: dict[str, Any] | None = None
    # The Authorization value a websocket was opened with, and until when (time.monotonic()) its
    # membership is known to hold: see `recheck_credentials`.
    credentials: str | None = None
    checked_until: float = 0.0
    # The real client's address (core.auth.client_address), for HTTP and websockets alike.
    client_ip: str = "local"
    # The caller's permissions, once read in this HTTP request (core.graphql.permissions.held).
    held: frozenset[tuple[str, str]] | None = None

    def require_principal(self) -> Principal:
        if self.auth_error is not None:
            raise self.auth_error
        if self.principal is None:
            raise ClientError("UNAUTHENTICATED", N_("Log in to do this."), self.locale)
        return self.principal

    def keep_credentials(self, header: str) -> None:
        """Credentials just accepted on a websocket, kept to be checked again as it lives on."""
        self.credentials = header
        self.checked_until = time.monotonic() + RECHECK_SECONDS

    async def recheck_credentials(self) -> Principal:
        """A websocket outlives its access token and can outlive its membership: before each event
        it delivers, check them again (the token every time, the membership at most once every
        RECHECK_SECONDS). When they no longer hold, raise UNAUTHENTICATED, as every later
        operation on the connection will. A request over HTTP was checked when it started."""
        principal = self.require_principal()
        if self.credentials is None:
            return principal
        now = time.monotonic()
        query = now >= self.checked_until
        if await still_authenticated(self.rt.settings, self.credentials, principal, query=query):
            if query:
                self.checked_until = now + RECHECK_SECONDS
            return principal
        self.principal, self.credentials = None, None
        self.auth_error = ClientError("UNAUTHENTICATED", CREDENTIALS_ENDED, self.locale)
        raise self.auth_error

    @property
    def tenant_id(self) -> int:
        return self.require_principal().tenant_id

    @property
    def tenant_region(self) -> str | None:
        """The region of the tenant's default locale (`de-DE` -> `DE`), e.g. to read phone numbers
        given without a country code; known from authentication, so no query."""
        locale = self.require_principal().tenant_locale
        return locale.split("-")[1] if "-" in locale else None

    def loader(self, key: str, factory: Callable[[], Any]) -> Any:
        """A DataLoader created once per request (never shared between requests or tenants)."""
        if key not in self.loaders:
            self.loaders[key] = factory()
        return self.loaders[key]
