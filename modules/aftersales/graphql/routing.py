"""The aftersales GraphQL part for routing (filled in by its slice)."""

from core.registry import GraphQLContribution

contribution = GraphQLContribution()
