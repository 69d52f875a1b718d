"""What the crm module contributes to the composed schema."""

from core.registry import GraphQLContribution
from modules.crm.graphql.mutations.customers import CustomerMutations
from modules.crm.graphql.mutations.tags import TagMutations
from modules.crm.graphql.queries import CrmQuery
from modules.crm.graphql.types import CustomerType, OrderType, SalesChannelType, TagType

contribution = GraphQLContribution(
    queries=[CrmQuery],
    mutations=[CustomerMutations, TagMutations],
    types=[CustomerType, OrderType, TagType, SalesChannelType],
)
