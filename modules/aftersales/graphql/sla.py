"""The aftersales GraphQL part for sla (filled in by its slice)."""

from core.registry import GraphQLContribution

contribution = GraphQLContribution()
