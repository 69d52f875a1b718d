"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request

from core.auth.principal import Principal
from core.errors import ClientError
from core.i18n import N_
from core.runtime import Runtime


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

    def require_principal(self) -> Principal:
        if self.auth_error is not None:
            raise self.auth_error
        if self.principal is None:
            raise ClientError("UNAUTHENTICATED", N_("Log in to do this."), self.locale)
        return self.principal

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

    @property
    def client_ip(self) -> str:
        if self.request is None or self.request.client is None:
            return "local"
        return self.request.client.host
