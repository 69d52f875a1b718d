"""Demo tickets, returns, SLA policies, macros and articles for the demo tenant."""

from __future__ import annotations

from modules.aftersales import demo_kb, demo_returns, demo_routing, demo_sla, demo_tickets


async def load(tenant_id: int) -> None:
    """Each part's demo data, in dependency order."""
    await demo_returns.load(tenant_id)
    await demo_routing.load(tenant_id)
    await demo_sla.load(tenant_id)
    await demo_tickets.load(tenant_id)
    await demo_kb.load(tenant_id)
