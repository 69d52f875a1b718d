"""What the crm module contributes to the composed schema."""

from core.registry import GraphQLContribution
from modules.crm.graphql.custom_fields import CustomFieldMutations, CustomFieldQuery, CustomFieldType
from modules.crm.graphql.duplicates import DuplicateQuery
from modules.crm.graphql.mutations.addresses import AddressMutations
from modules.crm.graphql.mutations.channels import ChannelMutations
from modules.crm.graphql.mutations.customers import CustomerMutations
from modules.crm.graphql.mutations.exports import ExportMutations, ExportQuery
from modules.crm.graphql.mutations.imports import ImportMutations, ImportQuery
from modules.crm.graphql.mutations.merge import MergeMutations
from modules.crm.graphql.mutations.orders import OrderMutations
from modules.crm.graphql.mutations.privacy import PrivacyMutations
from modules.crm.graphql.mutations.scores import ScoreMutations
from modules.crm.graphql.mutations.tags import TagMutations
from modules.crm.graphql.queries import CrmQuery
from modules.crm.graphql.segments import SegmentMutations, SegmentQuery, SegmentType
from modules.crm.graphql.types import CustomerType, NoteType, OrderType, PostalAddress, SalesChannelType, TagType

contribution = GraphQLContribution(
    queries=[ExportQuery, ImportQuery, DuplicateQuery, CrmQuery, SegmentQuery, CustomFieldQuery],
    mutations=[OrderMutations, SegmentMutations, CustomFieldMutations,
               ExportMutations, ImportMutations, PrivacyMutations, MergeMutations, CustomerMutations, TagMutations,
               ScoreMutations, ChannelMutations, AddressMutations],
    types=[SegmentType, CustomFieldType, CustomerType, OrderType, TagType, SalesChannelType, PostalAddress,
           NoteType],
)
