"""Demo tickets, returns, SLA policies, macros and articles for the demo tenant, one file per part."""

from __future__ import annotations

from modules.aftersales.demo import kb, returns, routing, sla, tickets


async def load(tenant_id: int) -> None:
    """Each part's demo data, in dependency order."""
    await returns.load(tenant_id)
    await routing.load(tenant_id)
    await sla.load(tenant_id)
    await tickets.load(tenant_id)
    await kb.load(tenant_id)
