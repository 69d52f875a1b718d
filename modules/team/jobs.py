"""The team module's background work: a nightly purge of dead refresh tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from arq import cron

from core.models import RefreshToken
from core.registry import WorkerContribution


async def purge_refresh_tokens(ctx: dict[str, Any]) -> int:
    """Delete refresh tokens expired or revoked more than a day ago."""
    cutoff = datetime.now(UTC) - timedelta(days=1)
    expired = await RefreshToken.filter(expires_at__lt=cutoff).delete()
    revoked = await RefreshToken.filter(revoked_at__lt=cutoff).delete()
    return expired + revoked


worker = WorkerContribution(
    cron_jobs=[cron(purge_refresh_tokens, name="team.purge_refresh_tokens", hour={3}, minute={17})],
)
