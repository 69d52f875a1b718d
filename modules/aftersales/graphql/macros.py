"""The aftersales GraphQL part for macros (filled in by its slice)."""

from core.registry import GraphQLContribution

contribution = GraphQLContribution()
