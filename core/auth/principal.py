"""Who is calling: a user acting in one tenant, through the API, a script (API key) or a worker,
or the system itself acting for a tenant (a channel turning an e-mail into a ticket)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    user_id: int | None  # None only for `Principal.system`: audit and ticket events then name no user
    tenant_id: int
    via: str = "api"  # "api" | "script" | "worker" | what the system acts through ("channel")
    api_key_id: int | None = None
    tenant_locale: str = "en"  # the tenant's default locale (BCP 47), loaded with the membership

    @classmethod
    def system(cls, tenant_id: int, via: str, tenant_locale: str = "en") -> Principal:
        """No user: what arrives through a channel is the customer's doing, not a staff member's."""
        return cls(None, tenant_id, via=via, tenant_locale=tenant_locale)

    @property
    def user(self) -> int:
        """The user's id, for what only a user may own (exports, imports, held permissions)."""
        if self.user_id is None:
            raise ValueError("the system principal has no user")
        return self.user_id
