"""The sync engine's part of the schema: runs (syncRuns, startSyncRun) and webhook addresses."""

from core.registry import GraphQLContribution
from modules.sync.graphql.mutations.runs import SyncRunMutations
from modules.sync.graphql.mutations.webhooks import SyncWebhookMutations
from modules.sync.graphql.queries import SyncQuery

contribution = GraphQLContribution(queries=[SyncQuery], mutations=[SyncRunMutations, SyncWebhookMutations])
