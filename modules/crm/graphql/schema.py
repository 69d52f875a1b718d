"""What the crm module contributes to the composed schema."""

from core.registry import GraphQLContribution
from modules.crm.graphql.duplicates import DuplicateQuery
from modules.crm.graphql.mutations.customers import CustomerMutations
from modules.crm.graphql.mutations.exports import ExportMutations, ExportQuery
from modules.crm.graphql.mutations.merge import MergeMutations
from modules.crm.graphql.mutations.privacy import PrivacyMutations
from modules.crm.graphql.mutations.scores import ScoreMutations
from modules.crm.graphql.mutations.tags import TagMutations
from modules.crm.graphql.queries import CrmQuery
from modules.crm.graphql.types import CustomerType, OrderType, SalesChannelType, TagType

contribution = GraphQLContribution(
    queries=[ExportQuery, DuplicateQuery, CrmQuery],
    mutations=[ExportMutations, PrivacyMutations, MergeMutations, CustomerMutations, TagMutations,
               ScoreMutations],
    types=[CustomerType, OrderType, TagType, SalesChannelType],
)
