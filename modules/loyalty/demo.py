"""Demo data: a points program in euros (1 point per euro, 14 days pending, a year's expiry per
lot), two tiers, and the demo customers' paid orders credited, one with a redemption."""

from __future__ import annotations

from core.auth.principal import Principal
from core.tenancy import scoped
from modules.crm.models import Order
from modules.loyalty.models import Program
from modules.loyalty.services import ProgramInput, adjust_points, earn_for_order, reserve_points, set_program
from modules.loyalty.services.rules import RuleInput, create_rule
from modules.loyalty.services.tiers import TierInput, create_tier


async def load(tenant_id: int) -> None:
    if await scoped(Program, tenant_id).exists():
        return
    demo = Principal.system(tenant_id, "demo")
    await set_program(demo, ProgramInput(currency="EUR", name="Club points", pending_days=14, expiry_policy="per_lot",
                                         expiry_days=365))
    await create_rule(demo, RuleInput(event="order_paid", mode="per_amount", points=1, per="1"))
    await create_tier(demo, TierInput(name="Silver", entry_threshold="200", retain_threshold="150"))
    await create_tier(demo, TierInput(name="Gold", entry_threshold="1000", retain_threshold="800"))
    orders = await scoped(Order, tenant_id).filter(currency="EUR", status__in=("paid", "shipped", "delivered")) \
        .exclude(customer_id=None).order_by("id")
    for order in orders:
        await earn_for_order(tenant_id, order.id)
    if orders and orders[0].customer_id is not None:
        customer_id = orders[0].customer_id
        await adjust_points(demo, customer_id, 50, "Welcome gift")
        await reserve_points(demo, customer_id, 20)
