"""What the automation module contributes to the composed schema."""

from core.registry import GraphQLContribution
from modules.automation.graphql.mutations.rules import RuleMutations
from modules.automation.graphql.queries import AutomationQuery
from modules.automation.graphql.types import RuleFiringType, RuleType

contribution = GraphQLContribution(queries=[AutomationQuery], mutations=[RuleMutations],
                                   types=[RuleType, RuleFiringType])
