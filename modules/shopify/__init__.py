"""The Shopify connector: customers and orders with their lines from the Admin GraphQL API and its
webhooks, through the sync engine (modules.sync), written exactly as a partner's connector would be."""

from core.registry import Module

module = Module(
    name="shopify",
    version="0.1.0",
    summary="Shopify connector: orders and customers by the Admin GraphQL API and webhooks",
    package="modules.shopify",
    depends=("crm", "sync"),
    startup="modules.shopify.startup:start_up",
    has_models=False,
)
