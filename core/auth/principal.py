"""Who is calling: a user acting in one tenant, through the API, a script (API key) or a worker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    user_id: int
    tenant_id: int
    via: str = "api"  # "api" | "script" | "worker"
    api_key_id: int | None = None
    tenant_locale: str = "en"  # the tenant's default locale (BCP 47), loaded with the membership
