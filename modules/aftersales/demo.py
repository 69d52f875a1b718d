"""Demo tickets, returns, SLA policies, macros and articles for the demo tenant."""

from __future__ import annotations


async def load(tenant_id: int) -> None:
    """Nothing yet: filled in once every part exists."""
