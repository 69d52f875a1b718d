"""The portal module: the buyers' self-service API beside the staff API, for a seller's storefront
or help page. Its own GraphQL schema at POST /portal/<tenant slug>/graphql, with its own (smaller)
limits and no staff login: the help center (published knowledge base articles), the return portal
(a buyer proves an order is theirs and gets a short-lived signed token for it) and the tenant's
contact forms. See docs/portal.md."""

from core.registry import Module

module = Module(
    name="portal",
    version="0.1.0",
    summary="Buyers' self-service: help center, return portal, contact forms",
    package="modules.portal",
    depends=("crm", "aftersales", "channels"),
    routes="modules.portal.http:routes",
    has_models=False,  # signed tokens, no table of its own
)
