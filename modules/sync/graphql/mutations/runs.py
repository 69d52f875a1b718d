"""startSyncRun: queue a backfill or incremental run of one resource of a sales channel."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.crm.graphql.types import SalesChannelType
from modules.sync.graphql.types import SyncMode, SyncRunType
from modules.sync.models import SyncRun
from modules.sync.services import runs


@strawberry.input
class StartSyncRunInput:
    channel_id: strawberry.ID
    resource: str = strawberry.field(default="orders", description="orders (with their customers) or customers.")
    mode: SyncMode = strawberry.field(default=SyncMode.INCREMENTAL, description=(
        "BACKFILL reads everything; INCREMENTAL what changed since the last run (a few minutes' overlap)."))


@strawberry.type
class StartSyncRunPayload:
    run: SyncRunType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SyncRunMutations:
    @strawberry.mutation(permission_classes=[Requires("sync.run", "write")],
                         description="Start syncing a channel from its platform, in the background: watch syncRuns.")
    async def start_sync_run(self, info: Info, input: StartSyncRunInput) -> StartSyncRunPayload:  # noqa: A002
        ctx = info.context

        async def start() -> SyncRun:
            channel = decode_id(input.channel_id, SalesChannelType, "channelId")
            return await runs.start_run(ctx.rt.redis, ctx.require_principal(), channel, input.resource.strip(),
                                        input.mode.value)
        run, errors = await attempt(info, start())
        return StartSyncRunPayload(run=SyncRunType.from_row(info, run) if run else None, errors=errors)
