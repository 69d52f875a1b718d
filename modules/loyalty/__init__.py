"""The loyalty module: points kept as a ledger of lots, earned on paid orders, clawed back on
refunds, expired, redeemed in two phases, and tiers that follow what a customer earned or spent."""

from core.registry import Module, Permission

module = Module(
    name="loyalty",
    version="0.1.0",
    summary="Loyalty points as a ledger of lots: earning rules, refunds, expiry, tiers and redemption",
    package="modules.loyalty",
    depends=("crm",),
    permissions=(
        Permission("loyalty.program", "read", "See the loyalty program, its rules and tiers"),
        Permission("loyalty.program", "write", "Set up the loyalty program, its earning rules and tiers"),
        Permission("loyalty.points", "read", "See customers' points, tiers and point history"),
        Permission("loyalty.points", "write", "Adjust customers' points by hand, with a reason"),
        Permission("loyalty.redemption", "write", "Redeem customers' points for a reward code"),
    ),
    graphql="modules.loyalty.graphql.schema:contribution",
    worker="modules.loyalty.jobs:worker",
    demo="modules.loyalty.demo:load",
)
