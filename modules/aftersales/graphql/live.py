"""The aftersales GraphQL part for live (filled in by its slice)."""

from core.registry import GraphQLContribution

contribution = GraphQLContribution()
