"""SyncRun as the API shows it: progress, counts per resource and, when failed, why (translated)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from core import jobs
from core.errors import UserError
from core.graphql.node import to_global_id
from core.i18n import translate
from core.models import Job
from modules.crm.graphql.types import SalesChannelType
from modules.sync.models import SyncRun
from modules.sync.services.runs import error_message


@strawberry.enum
class SyncMode(Enum):
    BACKFILL = "backfill"
    INCREMENTAL = "incremental"


@strawberry.enum
class SyncRunStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@strawberry.type(description="What one run did to one resource (customers come with the orders they placed).")
class SyncCounts:
    resource: str
    created: int
    updated: int
    unchanged: int = strawberry.field(description="Already as the platform has them: applied again, nothing changed.")
    failed: int = strawberry.field(description="Records the platform sent that crm refused (a missing customer...).")
    stale: int = strawberry.field(description="Versions older than the one already applied: left out.")


@strawberry.type
class SyncRunType:
    id: strawberry.ID
    channel_id: strawberry.ID
    resource: str
    mode: SyncMode
    status: SyncRunStatus
    since: datetime | None = strawberry.field(description="Records updated after this were read (null: all).")
    pages: int
    records: int = strawberry.field(description="Records read from the platform so far.")
    counts: list[SyncCounts]
    errors: list[UserError] = strawberry.field(description="Why a FAILED run stopped.")
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, info: Info, run: SyncRun, job: Job | None = None) -> SyncRunType:
        status, error = run.status, run.error
        if job is not None and status in jobs.OWED and jobs.state(job)[0] == jobs.FAILED:
            status, error = jobs.state(job)  # its worker went silent: WORKER_LOST
        errors = []
        if status == "failed":
            domain, message = error_message(error)
            errors = [UserError(code=error or "SYNC_FAILED", message=translate(domain, message, info.context.locale))]
        return cls(
            id=strawberry.ID(run.job_id), channel_id=to_global_id(SalesChannelType, run.channel_id),
            resource=run.resource, mode=SyncMode(run.mode), status=SyncRunStatus(status), since=run.since,
            pages=run.pages, records=run.records,
            counts=[SyncCounts(resource=r, created=c.get("created", 0), updated=c.get("updated", 0),
                               unchanged=c.get("unchanged", 0), failed=c.get("failed", 0), stale=c.get("stale", 0))
                    for r, c in sorted((run.counts or {}).items())],
            errors=errors, created_at=run.created_at, finished_at=run.finished_at)
