"""The sync engine: platform connectors (shopify, partners') share its runs, watermarks, stale-record
rule, Redis rate limiter and signed webhooks; crm owns what they bring in (docs/sync.md)."""

from core.registry import Module, Permission

module = Module(
    name="sync",
    version="0.1.0",
    summary="Sync engine for platform connectors: runs, watermarks, rate limits, webhooks",
    package="modules.sync",
    depends=("crm",),
    permissions=(
        Permission("sync.run", "read", "See sync runs of sales channels"),
        Permission("sync.run", "write", "Start sync runs and set up platform webhooks"),
    ),
    graphql="modules.sync.graphql.schema:contribution",
    worker="modules.sync.jobs:worker",
    routes="modules.sync.http:routes",
)
