"""Demo tickets, returns, SLA policies, macros and articles for the demo tenant."""

from __future__ import annotations

from modules.aftersales.demo import kb as demo_kb
from modules.aftersales.demo import returns as demo_returns
from modules.aftersales.demo import routing as demo_routing
from modules.aftersales.demo import sla as demo_sla
from modules.aftersales.demo import tickets as demo_tickets


async def load(tenant_id: int) -> None:
    """Each part's demo data, in dependency order."""
    await demo_returns.load(tenant_id)
    await demo_routing.load(tenant_id)
    await demo_sla.load(tenant_id)
    await demo_tickets.load(tenant_id)
    await demo_kb.load(tenant_id)
