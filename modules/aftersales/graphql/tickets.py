"""The aftersales GraphQL part for tickets (filled in by its slice)."""

from core.registry import GraphQLContribution

contribution = GraphQLContribution()
