"""The aftersales GraphQL part for kb (filled in by its slice)."""

from core.registry import GraphQLContribution

contribution = GraphQLContribution()
