"""What the team module contributes to the composed schema."""

from core.registry import GraphQLContribution
from modules.team.graphql.mutations.api_keys import ApiKeyMutations
from modules.team.graphql.mutations.auth import AuthMutations
from modules.team.graphql.mutations.roles import RoleMutations
from modules.team.graphql.mutations.teams import TeamMutations
from modules.team.graphql.mutations.tenant import TenantMutations
from modules.team.graphql.mutations.users import UserMutations
from modules.team.graphql.queries import TeamQuery
from modules.team.graphql.types import ApiKeyType, AuditEntryType, InvitationType, RoleType, TeamType, UserType

contribution = GraphQLContribution(
    queries=[TeamQuery],
    mutations=[AuthMutations, RoleMutations, UserMutations, TeamMutations, ApiKeyMutations,
               TenantMutations],
    types=[UserType, RoleType, TeamType, AuditEntryType, InvitationType, ApiKeyType],
)
