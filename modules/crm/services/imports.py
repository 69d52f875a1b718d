"""Bulk imports through the API: an uploaded CSV/XLSX is stored, the arq job `crm.import_file` runs the
importer (modules/crm/services/importer/, the same as `sellercare import`), and importJob(id) reports
its progress and, when done, a signed link to the XLSX of the bad rows.

- The upload is saved as `<var_dir>/imports/<tenant id>/<job id>.<csv|xlsx>` (at most
  settings.max_upload_bytes) and deleted once the job ran; API and worker processes share var_dir.
- The job is a core.jobs record: its status document (ImportStatus) is in the database, updated
  while the job runs (rows done of the file's rows, and the counts), so a flushed Redis loses
  neither the status nor the job (core.jobs.requeue queues it again). A re-run is safe: the importer
  matches rows to what an earlier run wrote, and ends with exact counts.
- The error report is written where exports are (`core.exports.export_path`), so the signed, expiring
  `/exports/{token}` link serves it, and the hourly purge of export files removes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from arq.connections import ArqRedis

from core import jobs
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.exports import export_path
from core.heartbeat import beating
from core.i18n import N_
from core.models import Tenant
from core.settings import Settings
from core.tenancy import scoped
from modules.crm.models import SalesChannel
from modules.crm.services.errors import crm_error
from modules.crm.services.importer import ImportOptions, run_import
from modules.crm.services.importer.progress import Progress

log = logging.getLogger(__name__)

JOB_NAME = "crm.import_file"
KINDS = ("customers", "orders")
EXTENSIONS = (".csv", ".xlsx")
CHUNK = 1 << 16
SAVE_EVERY = 0.5  # seconds between status updates while a job runs
WORKER_LOST = N_("The worker running this job stopped before it finished. Start it again.")


class Upload(Protocol):
    """What is needed of an uploaded file (starlette's UploadFile through strawberry's Upload)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass
class ImportStatus:
    id: str
    tenant_id: int
    user_id: int
    kind: str
    status: str  # "queued" | "running" | "done" | "failed"
    dry_run: bool
    file_name: str
    created_at: str
    total: int | None = None  # data rows in the file, as far as known before reading
    done: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    report: bool = False  # an error report file exists
    errors: list[dict[str, Any]] = field(default_factory=list)  # whole-file errors: code, message, field, params
    finished_at: str | None = None
    heartbeat_at: str | None = None  # last saved (core/heartbeat.py), from the record


async def get_status(tenant_id: int, import_id: str) -> ImportStatus | None:
    """The job's status within the tenant; None when unknown, purged or not an import id."""
    job = await jobs.load(tenant_id, import_id)
    if job is None or job.function != JOB_NAME:
        return None
    known = {f.name for f in fields(ImportStatus)}
    status = ImportStatus(**{k: v for k, v in job.document.items() if k in known})
    status.status, error = jobs.state(job)
    status.heartbeat_at = job.heartbeat_at.isoformat()
    if error == jobs.WORKER_LOST:
        status.finished_at = (job.finished_at or job.heartbeat_at).isoformat()
        status.errors = [{"code": jobs.WORKER_LOST, "message": WORKER_LOST, "domain": "crm", "params": {},
                          "field": None}]
    return status


async def _save(status: ImportStatus) -> None:
    error = status.errors[0]["code"] if status.status == "failed" and status.errors else ""
    await jobs.save(status.id, asdict(status), status.status, error)


def upload_path(settings: Settings, tenant_id: int, import_id: str, suffix: str) -> Path:
    return Path(settings.var_dir) / "imports" / str(int(tenant_id)) / f"{uuid.UUID(hex=import_id).hex}{suffix}"


async def save_upload(settings: Settings, tenant_id: int, import_id: str, upload: Upload) -> Path:
    """Copy the upload to var_dir, refusing a file type the importer cannot read or a file too large."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in EXTENSIONS:
        raise crm_error("UNSUPPORTED_FILE", N_("Upload a .csv or .xlsx file."), ["file"])
    path = upload_path(settings, tenant_id, import_id, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with path.open("wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise crm_error("FILE_TOO_LARGE", N_("The file is larger than {max} MB."), ["file"],
                                    max=settings.max_upload_bytes // 1_000_000)
                await asyncio.to_thread(out.write, chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


async def request_import(redis: ArqRedis, settings: Settings, actor: Principal, kind: str, upload: Upload, *,
                         channel_id: int | None, dry_run: bool, on_conflict: str) -> ImportStatus:
    """Store the upload and submit its job (core.jobs); the channel (when given) must be the tenant's."""
    if kind not in KINDS or on_conflict not in ("skip", "update"):
        raise ValueError(f"bad import request: {kind} {on_conflict}")
    if channel_id is not None and not await scoped(SalesChannel, actor.tenant_id).filter(id=channel_id).exists():
        raise crm_error("NOT_FOUND", N_("No such sales channel."), ["channelId"])
    status = ImportStatus(id=jobs.new_id(), tenant_id=actor.tenant_id, user_id=actor.user, kind=kind,
                          status="queued", dry_run=dry_run, file_name=(upload.filename or "")[:200],
                          created_at=datetime.now(UTC).isoformat())
    path = await save_upload(settings, actor.tenant_id, status.id, upload)
    try:
        await jobs.submit(redis, actor.tenant_id, JOB_NAME, [status.id, actor.tenant_id, actor.user_id, kind,
                                                             path.suffix, channel_id, dry_run, on_conflict],
                          asdict(status), job_id=status.id)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return status


class _Tracker(Progress):
    """Rows done, for the status the job saves every SAVE_EVERY seconds."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0

    def start(self, total: int | None) -> None:
        self.total = total

    def advance(self, rows: int) -> None:
        self.done += rows


def _saving(status: ImportStatus, tracker: _Tracker) -> contextlib.AbstractAsyncContextManager[None]:
    """The job's heartbeat, carrying its progress: rows done and counts every SAVE_EVERY seconds."""
    async def save() -> None:
        status.total, status.done = tracker.total, tracker.done
        status.counts = tracker.counts.as_dict() if tracker.counts else {}
        await _save(status)

    return beating(save, SAVE_EVERY)


def _errors(exc: UserFacingError | UserFacingErrors) -> list[dict[str, Any]]:
    items = exc.errors if isinstance(exc, UserFacingErrors) else [exc]
    return [{"code": e.code, "message": e.message, "domain": e.domain, "params": e.params,
             "field": list(e.field) if e.field else None} for e in items]


async def run_job(settings: Settings, import_id: str, tenant_id: int, user_id: int, kind: str,
                  suffix: str, channel_id: int | None, dry_run: bool, on_conflict: str) -> dict[str, int]:
    """The job's body: running, the import with its progress, then done (counts, report) or failed.
    A whole-file problem (bad header, not UTF-8...) ends it failed with the reasons, nothing written.
    Run again (arq after a killed worker, core.jobs.requeue after a lost Redis), it starts over."""
    status = await get_status(tenant_id, import_id)
    if status is None:  # purged, or its tenant deleted: nothing is owed
        log.warning("import %s of tenant %s has no record: not run", import_id, tenant_id)
        return {}
    status.status, status.errors, status.finished_at, status.report = "running", [], None, False
    await _save(status)
    path = upload_path(settings, tenant_id, import_id, suffix)
    report = export_path(settings, tenant_id, import_id)
    report.parent.mkdir(parents=True, exist_ok=True)
    part = report.with_name(report.name + ".part")
    tracker = _Tracker()
    ended = False  # done or failed: the upload is no longer needed
    try:
        tenant = await Tenant.get(id=tenant_id)
        channel = await scoped(SalesChannel, tenant_id).filter(id=channel_id).first() if channel_id else None
        opts = ImportOptions(kind, path, tenant.slug, channel=channel.name if channel else None, dry_run=dry_run,
                             on_conflict=on_conflict, errors=part, actor=Principal(user_id, tenant_id),
                             file_name=status.file_name or None)
        async with _saving(status, tracker):
            result = await run_import(opts, tracker)
    except (UserFacingError, UserFacingErrors) as exc:
        status.status, status.errors, ended = "failed", _errors(exc), True
    except Exception:
        log.exception("import %s of tenant %s failed", import_id, tenant_id)
        status.status, ended = "failed", True
        status.errors = [{"code": "IMPORT_FAILED", "message": N_("The import failed; try again."), "domain": "crm",
                          "params": {}, "field": None}]
    else:
        status.status, status.counts, ended = "done", result.counts.as_dict(), True
        if result.counts.failed and part.exists():
            part.replace(report)
            status.report = True
    finally:
        part.unlink(missing_ok=True)
        if ended:  # cancelled (a worker stopping hands the job back to arq): the next run reads the file
            path.unlink(missing_ok=True)
    status.total, status.done = tracker.total, tracker.done
    status.finished_at = datetime.now(UTC).isoformat()
    await _save(status)
    return status.counts
