"""The portal's own strawberry schema: the help center, the return portal and the contact forms,
under the same hardening as the staff API (schema.builder.hardening) with smaller limits."""

from __future__ import annotations

import strawberry

from modules.portal.graphql.contact import ContactQuery
from modules.portal.graphql.help import HelpQuery
from modules.portal.graphql.mutations import PortalMutation
from modules.portal.graphql.returns import ReturnQuery
from schema.builder import Limits, SellercareSchema, hardening

# A storefront's queries are small: nothing here nests deeper than the category tree (at most 5).
LIMITS = Limits(depth=6, aliases=10, tokens=1_000, cost=300, page_size=20)


@strawberry.type(name="Query")
class PortalQuery(HelpQuery, ReturnQuery, ContactQuery):
    pass


def build_schema(production: bool) -> strawberry.Schema:
    """Without introspection in production, like the staff API."""
    return SellercareSchema(query=PortalQuery, mutation=PortalMutation, extensions=hardening(LIMITS, production))
