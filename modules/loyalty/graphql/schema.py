"""What the loyalty module contributes to the composed schema."""

from core.registry import GraphQLContribution
from modules.loyalty.graphql.customer import CustomerLoyaltyFields
from modules.loyalty.graphql.mutations.points import PointsMutations
from modules.loyalty.graphql.mutations.program import ProgramMutations
from modules.loyalty.graphql.mutations.rules import RuleMutations
from modules.loyalty.graphql.mutations.tiers import TierMutations
from modules.loyalty.graphql.queries import LoyaltyQuery
from modules.loyalty.graphql.types import LoyaltyEntryType, LoyaltyRuleType, LoyaltyTierType, RedemptionType

contribution = GraphQLContribution(
    queries=[LoyaltyQuery],
    mutations=[ProgramMutations, RuleMutations, TierMutations, PointsMutations],
    types=[LoyaltyRuleType, LoyaltyTierType, LoyaltyEntryType, RedemptionType],
    extends={"Customer": [CustomerLoyaltyFields]},
)
