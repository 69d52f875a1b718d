"""The aftersales GraphQL part for returns (filled in by its slice)."""

from core.registry import GraphQLContribution

contribution = GraphQLContribution()
