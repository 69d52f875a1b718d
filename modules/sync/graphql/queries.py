"""syncRuns: a channel's runs, newest first, with their progress and counts."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from core import jobs
from core.graphql.node import decode_query_id
from core.graphql.pagination import Connection, Edge, Ordering, page_size, paginate
from core.graphql.permissions import Requires
from core.models import Job
from core.tenancy import scoped
from modules.crm.graphql.types import SalesChannelType
from modules.sync.graphql.types import SyncRunType
from modules.sync.models import SyncRun

READ: list[type[BasePermission]] = [Requires("sync.run", "read")]


@strawberry.type
class SyncQuery:
    @strawberry.field(permission_classes=READ, description="A sales channel's sync runs, newest first.")
    async def sync_runs(self, info: Info, channel_id: strawberry.ID, first: int | None = None,
                        after: str | None = None) -> Connection[SyncRunType]:
        ctx = info.context
        s = ctx.rt.settings
        rows = scoped(SyncRun, ctx.tenant_id).filter(
            channel_id=decode_query_id(info, channel_id, SalesChannelType, "channelId"))
        page: Connection[SyncRun] = await paginate(
            rows, first=page_size(first, s.default_page_size, s.max_page_size, ctx.locale), after=after,
            ordering=Ordering("id", descending=True), to_node=lambda row: row, locale=ctx.locale)
        owed = [e.node.job_id for e in page.edges if e.node.status in jobs.OWED]
        records = {j.id: j for j in await scoped(Job, ctx.tenant_id).filter(id__in=owed)} if owed else {}
        return Connection(edges=[Edge(cursor=e.cursor, node=SyncRunType.from_row(info, e.node, records.get(
            e.node.job_id))) for e in page.edges], page_info=page.page_info)
