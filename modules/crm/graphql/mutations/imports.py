"""importCustomers and importOrders (a CSV/XLSX upload imported by a job) and importJob(id): its
progress, counts and, when done, a signed link to the XLSX of the bad rows."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import cast

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from core import exports as core_exports
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from core.i18n import translate
from modules.crm.graphql.types import SalesChannelType
from modules.crm.services import imports

WRITE = [Requires("crm.customer", "write")]


@strawberry.enum
class ImportJobStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@strawberry.enum
class ImportConflict(Enum):
    SKIP = "skip"
    UPDATE = "update"


@strawberry.input(description="A CSV (UTF-8; comma, semicolon, tab or |) or XLSX file; columns in docs/scripts.md.")
class ImportFileInput:
    file: Upload
    channel_id: strawberry.ID | None = strawberry.field(
        default=None, description="The sales channel the file's external ids belong to; a `channel` column may "
                                  "name another one of yours per row (an empty cell: this one).")
    dry_run: bool = strawberry.field(default=False, description="Validate and count only: nothing is written.")
    on_conflict: ImportConflict = strawberry.field(
        default=ImportConflict.SKIP, description="What to do with a row that matches an existing record and "
                                                 "differs from it.")


@strawberry.type(description="Customers or orders, not rows: an order given as several line rows counts once.")
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


@strawberry.type
class ImportJob:
    id: strawberry.ID
    kind: str
    status: ImportJobStatus
    dry_run: bool
    file_name: str
    total_rows: int | None = strawberry.field(description="The file's data rows, as estimated before reading.")
    processed_rows: int
    progress_percent: int
    counts: ImportCounts
    good_rows: int = strawberry.field(description="Customers or orders created, updated, unchanged or skipped "
                                                  "(an order of several line rows counts once).")
    bad_rows: int = strawberry.field(description="Customers or orders refused (an order of several line rows "
                                                 "counts once): every row of each is in the error report.")
    errors: list[UserError] = strawberry.field(description="Why a FAILED import was refused as a whole.")
    error_report_url: str | None = strawberry.field(
        description="When DONE with bad rows: the XLSX of those rows and why, signed and valid 15 minutes.")
    error_report_expires_at: datetime | None
    created_at: datetime
    finished_at: datetime | None


@strawberry.type
class ImportPayload:
    job: ImportJob | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _job(info: Info, s: imports.ImportStatus) -> ImportJob:
    counts = ImportCounts(**{k: v for k, v in s.counts.items() if k in ImportCounts.__annotations__})
    url = expires_at = None
    if s.status == "done" and s.report:
        token, expires = core_exports.sign_download(info.context.rt.settings, s.tenant_id, s.id)
        url, expires_at = f"/exports/{token}", datetime.fromtimestamp(expires, UTC)
    finished = s.status in ("done", "failed")
    percent = 100 if finished else min(99, s.done * 100 // s.total) if s.total else 0
    locale = info.context.locale
    return ImportJob(
        id=strawberry.ID(s.id), kind=s.kind, status=ImportJobStatus(s.status), dry_run=s.dry_run,
        file_name=s.file_name, total_rows=s.total, processed_rows=s.done, progress_percent=percent, counts=counts,
        good_rows=counts.created + counts.updated + counts.unchanged + counts.skipped, bad_rows=counts.failed,
        errors=[UserError(code=e["code"], message=translate(e["domain"], e["message"], locale, **e["params"]),
                          field=e["field"]) for e in s.errors],
        error_report_url=url, error_report_expires_at=expires_at, created_at=datetime.fromisoformat(s.created_at),
        finished_at=datetime.fromisoformat(s.finished_at) if s.finished_at else None)


async def _request(info: Info, kind: str, input: ImportFileInput) -> ImportPayload:  # noqa: A002
    ctx = info.context

    async def run() -> imports.ImportStatus:
        channel = decode_id(input.channel_id, SalesChannelType, "channelId") if input.channel_id else None
        upload = cast(imports.Upload, input.file)  # starlette's UploadFile on this server (typed as bytes)
        return await imports.request_import(ctx.rt.redis, ctx.rt.settings, ctx.require_principal(), kind, upload,
                                            channel_id=channel, dry_run=input.dry_run,
                                            on_conflict=input.on_conflict.value)
    status, errors = await attempt(info, run())
    return ImportPayload(job=_job(info, status) if status else None, errors=errors)


@strawberry.type
class ImportQuery:
    @strawberry.field(permission_classes=WRITE, description="An import you started (kept a day).")
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJob | None:  # noqa: A002
        principal = info.context.require_principal()
        status = await imports.get_status(principal.tenant_id, str(id))
        if status is None or status.user_id != principal.user_id:
            return None
        return _job(info, status)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(permission_classes=WRITE, description="Import customers from an uploaded file, in the "
                                                               "background: poll importJob(id).")
    async def import_customers(self, info: Info, input: ImportFileInput) -> ImportPayload:  # noqa: A002
        return await _request(info, "customers", input)

    @strawberry.mutation(permission_classes=WRITE, description="Import orders (one row per order, or per order "
                                                               "line) from an uploaded file: poll importJob(id).")
    async def import_orders(self, info: Info, input: ImportFileInput) -> ImportPayload:  # noqa: A002
        return await _request(info, "orders", input)
