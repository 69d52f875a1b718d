"""Jobs a user waits for (an import, an export), durable in the database, run by arq.

arq keeps a job only in Redis: a flush or a restart would lose the job and the status the user
polls. So each such job has a record (core.models.Job) holding its function, its arguments, the
module's status document and its state; Redis holds only the arq job that runs it.

- `submit` inserts the record in the caller's transaction and queues the arq job once that
  commits (core.after_commit): a worker never looks for a record that is not there yet, and a
  rolled-back request queues nothing. Redis away at that moment: the record stays owed.
- The job saves its document with `save` (state and heartbeat too); `load` reads it, within the
  tenant. A running job silent for STALLED_AFTER reads as failed with WORKER_LOST (core.heartbeat).
- `requeue` (the cron `core.requeue_jobs`, every minute) finds owed records (queued or running,
  silent for STALLED_AFTER) whose arq job is gone: not found (Redis flushed or restarted) or
  complete without the job having recorded its end (arq's retries spent, a timeout). It queues
  them again under a new arq job id, up to MAX_ATTEMPTS, then fails them with WORKER_LOST. One
  still marked in progress although silent that long lost its worker (kill -9, out of memory: a
  running job beats every few seconds); arq would wait for the job's timeout, an hour for an import,
  before running it again, so its arq job is dropped and it is queued again at once too. A job still
  queued behind a backlog, or deferred, is arq's and left alone. So the job
  functions must be safe to run again from the start (an import re-run ends with exact counts, an
  export rebuilds its file).
- `purge` (the cron `core.purge_jobs`, hourly) deletes finished records after KEEP.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.connections import ArqRedis
from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix, retry_key_prefix
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus

from core.after_commit import after_commit
from core.heartbeat import STALLED_AFTER, stalled
from core.models import Job
from core.tenancy import scoped

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
OWED = (QUEUED, RUNNING)
FINISHED = (DONE, FAILED)
WORKER_LOST = "WORKER_LOST"
MAX_ATTEMPTS = 3  # times a job is queued in all: the first, and two re-queues of a lost one
KEEP = timedelta(days=1)  # a finished record, then purged
REQUEUE_BATCH = 200
_ID = re.compile(r"[0-9a-f]{32}")
_GONE = (JobStatus.not_found, JobStatus.complete)
log = logging.getLogger(__name__)


def new_id() -> str:
    return uuid.uuid4().hex


def arq_job_id(job: Job) -> str:
    """A new arq job id per attempt: arq dedupes by id while it keeps a result."""
    return f"job:{job.id}:{job.attempts}"


def state(job: Job, now: datetime | None = None) -> tuple[str, str]:
    """(status, error code) as the user should see them: a running job whose worker went silent
    is failed with WORKER_LOST until it is resumed."""
    if job.status == RUNNING and stalled(job.heartbeat_at, now):
        return FAILED, WORKER_LOST
    return job.status, job.error


async def _enqueue(redis: ArqRedis, job: Job) -> None:
    try:
        await redis.enqueue_job(job.function, *json.loads(job.args), _job_id=arq_job_id(job))
    except Exception:  # noqa: BLE001 - the record is committed: requeue sends it once Redis is back
        log.warning("job %s (%s) not queued: Redis unavailable; the requeue cron will send it", job.id,
                    job.function, exc_info=True)


async def submit(redis: ArqRedis, tenant_id: int, function: str, args: Sequence[Any], document: dict[str, Any],
                 job_id: str | None = None) -> Job:
    """Record the job in the caller's transaction and queue `function(*args)` once it commits. Call
    it outside a transaction of your own, or inside core.after_commit.deferring() (an idempotent
    mutation is): a job queued before its record commits would not find it."""
    job = await Job.create(id=job_id or new_id(), tenant_id=tenant_id, function=function, args=json.dumps(list(args)),
                           document=document, status=QUEUED, heartbeat_at=datetime.now(UTC))
    await after_commit(lambda: _enqueue(redis, job))
    return job


async def load(tenant_id: int, job_id: str) -> Job | None:
    """The tenant's record of that id; None for another tenant's, an unknown or a malformed id."""
    if not _ID.fullmatch(job_id or ""):
        return None
    return await scoped(Job, tenant_id).get_or_none(id=job_id)


async def save(job_id: str, document: dict[str, Any], status: str, error: str = "") -> None:
    """The job's document and state, and a heartbeat; a finished job gets its finished_at."""
    now = datetime.now(UTC)
    await Job.filter(id=job_id).update(document=document, status=status, error=error, heartbeat_at=now,
                                       finished_at=now if status in FINISHED else None)


async def _forget(redis: ArqRedis, arq_id: str) -> None:
    """Drop arq's queue entry, in-progress mark and job of a dead worker's job, so that only the
    attempt queued next runs."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrem(default_queue_name, arq_id)
        pipe.delete(in_progress_key_prefix + arq_id, job_key_prefix + arq_id, retry_key_prefix + arq_id)
        await pipe.execute()


async def requeue(redis: ArqRedis, now: datetime | None = None, limit: int = REQUEUE_BATCH) -> dict[str, int]:
    """Queue again owed jobs whose arq job is gone, or fail them past MAX_ATTEMPTS; safe in several
    processes (each change is conditional on the attempt it read). Returns how many of each."""
    now = now or datetime.now(UTC)
    counts = {"requeued": 0, "failed": 0}
    owed = await (Job.filter(status__in=OWED, heartbeat_at__lt=now - STALLED_AFTER)
                  .order_by("heartbeat_at").limit(limit))
    for job in owed:
        arq_status = await ArqJob(arq_job_id(job), redis).status()
        if arq_status == JobStatus.in_progress:
            # Running, yet silent for STALLED_AFTER although a running job beats every few seconds:
            # its worker died (kill -9, out of memory). arq would leave its in-progress mark until
            # the job's timeout (an hour for an import) before running it again: take it back now.
            await _forget(redis, arq_job_id(job))
        elif arq_status not in _GONE:
            continue  # queued behind a backlog, or deferred: arq has it
        mine = Job.filter(id=job.id, attempts=job.attempts, status__in=OWED)
        if job.attempts >= MAX_ATTEMPTS:
            if await mine.update(status=FAILED, error=WORKER_LOST, finished_at=now):
                log.error("job %s (%s) lost %s times: failed with %s", job.id, job.function, job.attempts, WORKER_LOST)
                counts["failed"] += 1
            continue
        if not await mine.update(status=QUEUED, attempts=job.attempts + 1, heartbeat_at=now):
            continue  # another process got there first, or the job just ended
        job.attempts += 1
        log.warning("job %s (%s) was lost by arq: queued again, attempt %s", job.id, job.function, job.attempts)
        await _enqueue(redis, job)
        counts["requeued"] += 1
    return counts


async def purge(now: datetime | None = None) -> int:
    """Delete records finished more than KEEP ago (their files are purged after the same day)."""
    cutoff = (now or datetime.now(UTC)) - KEEP
    return await Job.filter(status__in=FINISHED, finished_at__lt=cutoff).delete()
