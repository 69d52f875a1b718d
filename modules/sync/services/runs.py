"""Backfill and incremental runs per (sales channel, resource), as durable jobs (core.jobs).

`start_run` records a SyncRun and its job in one transaction; the job (`sync.run`) reads the
connector's pages from the channel's watermark minus OVERLAP (backfill: from the start), applies
each page (modules.sync.services.apply) and, once that page committed, moves the watermark to its
newest `updated_at` (never back). Progress and counts are saved on the run as it goes; the core
job's heartbeat tells a live run from a dead worker's. Run again from the start (arq's retry,
core.jobs.requeue), a run finds what it already wrote unchanged: counts stay exact.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from core import after_commit, audit, jobs
from core.auth.principal import Principal
from core.heartbeat import beating
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.services import get_channel, read_credentials
from modules.sync.models import SyncRun, Watermark
from modules.sync.models.run import MODES
from modules.sync.services import connectors
from modules.sync.services.apply import Counts, add, apply
from modules.sync.services.errors import SyncError, sync_error

log = logging.getLogger(__name__)
JOB_NAME = "sync.run"
OVERLAP = timedelta(minutes=5)  # re-read before the watermark: updates committed late on the platform
SAVE_EVERY = 1.0


async def _connector(tenant_id: int, channel_id: int, resource: str) -> connectors.Connector:
    channel = await get_channel(tenant_id, channel_id)
    found = connectors.connector(channel.platform)
    if found is None:
        raise sync_error("UNSUPPORTED_PLATFORM", N_("No installed connector syncs {platform} channels."),
                         ["channelId"], platform=channel.platform)
    if resource not in found.resources:
        raise sync_error("INVALID_RESOURCE", N_("Choose one of: {choices}."), ["resource"],
                         choices=", ".join(found.resources))
    return found


async def start_run(redis: ArqRedis, actor: Principal, channel_id: int, resource: str, mode: str) -> SyncRun:
    """Queue a run; refused while one of the same channel and resource is queued or running."""
    if mode not in MODES:
        raise ValueError(f"sync mode {mode!r}")
    tid = actor.tenant_id
    await _connector(tid, channel_id, resource)
    busy = scoped(SyncRun, tid).filter(channel_id=channel_id, resource=resource, status__in=jobs.OWED)
    for run in await busy:
        job = await jobs.load(tid, run.job_id)
        if job is not None and jobs.state(job)[0] in jobs.OWED:
            raise sync_error("RUN_IN_PROGRESS", N_("A run of this channel and resource is not finished yet."),
                             ["channelId"])
    job_id = jobs.new_id()

    async def create() -> SyncRun:
        async with in_transaction():
            run = await SyncRun.create(tenant_id=tid, job_id=job_id, channel_id=channel_id, resource=resource,
                                       mode=mode)
            await jobs.submit(redis, tid, JOB_NAME, [job_id], {"run_id": run.id}, job_id=job_id)
            await audit.record(actor, tid, "sync.run.start", "SalesChannel", channel_id, None,
                               {"resource": resource, "mode": mode, "run": job_id})
        return run

    if after_commit.pending():  # inside an outer transaction: the job is queued when it commits
        return await create()
    with after_commit.deferring() as queue:  # queued only once the run and its record committed
        run = await create()
    await after_commit.run(queue)
    return run


async def _watermark(run: SyncRun) -> datetime | None:
    mark = await scoped(Watermark, run.tenant_id).filter(channel_id=run.channel_id, resource=run.resource).first()
    return mark.updated_at if mark else None


async def save_watermark(tenant_id: int, channel_id: int, resource: str, at: datetime) -> None:
    """Move the (channel, resource) watermark forward to `at`; never back."""
    async with in_transaction():
        mark = await (scoped(Watermark, tenant_id).filter(channel_id=channel_id, resource=resource)
                      .select_for_update().first())
        if mark is None:
            await Watermark.create(tenant_id=tenant_id, channel_id=channel_id, resource=resource, updated_at=at)
        elif at > mark.updated_at:
            mark.updated_at = at
            await mark.save(update_fields=["updated_at", "saved_at"])


async def _save(run: SyncRun) -> None:
    await run.save()
    await jobs.save(run.job_id, {"run_id": run.id}, run.status, run.error)


async def run_job(redis: ArqRedis, job_id: str) -> Counts:
    """The job's body: running, every page applied and its watermark saved, then done or failed."""
    run = await SyncRun.filter(job_id=job_id).first()
    if run is None:  # its channel or tenant was deleted: nothing is owed
        log.warning("sync run of job %s has no record: not run", job_id)
        return {}
    counts: Counts = {}
    run.status, run.error, run.pages, run.records, run.counts, run.finished_at = "running", "", 0, 0, {}, None
    try:
        connector = await _connector(run.tenant_id, run.channel_id, run.resource)
        channel = await get_channel(run.tenant_id, run.channel_id)
        mark = await _watermark(run) if run.mode == "incremental" else None
        run.since = mark - OVERLAP if mark else None
        await _save(run)
        session = connectors.Session(run.tenant_id, run.channel_id, read_credentials(channel), run.resource,
                                     run.since, redis)
        async with beating(lambda: _save(run), SAVE_EVERY):
            async for page in connector.pages(session):
                add(counts, await apply(run.tenant_id, run.channel_id, page))
                run.pages, run.records, run.counts = run.pages + 1, run.records + len(page), counts
                mine = [r.updated_at for r in page if r.resource == run.resource]
                if mine:  # the page committed: the next incremental run starts from here
                    await save_watermark(run.tenant_id, run.channel_id, run.resource, max(mine))
    except SyncError as exc:
        run.status, run.error = "failed", exc.code
        log.warning("sync run %s of channel %s failed: %s", run.id, run.channel_id, exc.code)
    except Exception as exc:  # noqa: BLE001 - recorded on the run; the worker goes on
        code = getattr(exc, "code", "")
        run.status, run.error = "failed", code if isinstance(code, str) and code else "SYNC_FAILED"
        log.exception("sync run %s of channel %s failed", run.id, run.channel_id)
    else:
        run.status = "done"
    run.counts, run.finished_at = counts, datetime.now(UTC)
    await _save(run)
    return counts


def error_message(code: str) -> tuple[str, str]:
    """(domain, msgid) of a failed run's code, for the API."""
    return "sync", ERRORS.get(code, ERRORS["SYNC_FAILED"])


ERRORS: dict[str, str] = {
    "SYNC_FAILED": N_("The run failed; start it again."),
    jobs.WORKER_LOST: N_("The worker running this sync stopped before it finished. Start it again."),
    "UNSUPPORTED_PLATFORM": N_("No installed connector syncs this channel's platform."),
    "NOT_CONFIGURED": N_("The channel's credentials are incomplete."),
    "UNAUTHORIZED": N_("The platform refused the channel's credentials."),
    "PLATFORM_UNAVAILABLE": N_("The platform did not answer properly, even after retries."),
    "PLATFORM_ERROR": N_("The platform refused the request."),
}
