"""Jobs a user waits for survive Redis (core.jobs): an import or an export queued when Redis is flushed
still answers its status from the database, is queued again by the requeue cron and ends done with
exact results; a job lost too often ends failed with WORKER_LOST; finished records are purged after
a day; a tenant never reaches another tenant's record; an import and an export whose worker process is
killed (SIGKILL) mid-job resume and end exact."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus

from core import jobs
from core.heartbeat import STALLED_AFTER
from core.models import Job
from modules.crm.models import Customer
from modules.crm.services import exports, imports
from tests.conftest import Api, TenantFixture, job_record, jobs_held, process_env
from tests.modules.test_crm_export import EXPORT, STATUS
from tests.modules.test_crm_export import _finished as export_finished
from tests.modules.test_crm_import_api import IMPORT, JOB, finished, start
from workers.settings import _requeue_jobs

ROOT = Path(__file__).resolve().parents[1]
STALE = STALLED_AFTER + timedelta(seconds=5)
CSV = b"email,first_name\nkim@example.kr,Kim\nlee@example.kr,Lee\nnot-an-email,Park\nchoi@example.kr,Choi\n"


async def _lose_in_redis_and_requeue(rt: Any, job_id: str) -> Job:
    """Redis flushed before any worker ran the job; once it has been silent for the stall window,
    the requeue cron queues it again under a new arq job id."""
    await rt.redis.flushdb()
    await Job.filter(id=job_id).update(heartbeat_at=datetime.now(UTC) - STALE)
    await _requeue_jobs({"redis": rt.redis, "rt": rt})
    record = await Job.get(id=job_id)
    assert (record.status, record.attempts) == ("queued", 2)
    assert await ArqJob(jobs.arq_job_id(record), rt.redis).status() == JobStatus.queued
    return record


async def test_an_import_queued_when_redis_is_flushed_is_queued_again_and_ends_with_exact_counts(
        api: Api, app: Any, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    with jobs_held(app):
        job_id = (await start(api, tenant.token, "importCustomers", "c.csv", CSV))["job"]["id"]
        await rt.redis.flushdb()
        shown = (await api.data(JOB, {"id": job_id}, token=tenant.token))["importJob"]
        assert (shown["status"], shown["errors"]) == ("QUEUED", [])
        await _lose_in_redis_and_requeue(rt, job_id)
        assert (await api.data(JOB, {"id": job_id}, token=other_tenant.token))["importJob"] is None
    done = await finished(api, rt, tenant.token, job_id)
    assert (done["status"], done["processedRows"], done["goodRows"], done["badRows"]) == ("DONE", 4, 3, 1), done
    assert done["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 1}
    assert await Customer.filter(tenant_id=tenant.id).count() == 3
    assert done["errorReportUrl"] and (await api.client.get(done["errorReportUrl"])).status_code == 200
    assert (await Job.get(id=job_id)).status == "done"


async def test_an_export_queued_when_redis_is_flushed_is_queued_again_and_ends_done(
        api: Api, app: Any, rt: Any, tenant: TenantFixture) -> None:
    for name in ("Ana", "Bea"):
        await Customer.create(tenant_id=tenant.id, first_name=name, display_name=name, country="PT")
    with jobs_held(app):
        data = await api.data(EXPORT, {"i": {"filter": {"countries": ["PT"]}}}, token=tenant.token)
        export_id = data["exportCustomers"]["export"]["id"]
        await rt.redis.flushdb()
        assert (await api.data(STATUS, {"id": export_id}, token=tenant.token))["export"]["status"] == "PENDING"
        await _lose_in_redis_and_requeue(rt, export_id)
    done = await export_finished(api, rt, tenant.token, export_id)
    assert (done["status"], done["rowCount"], done["masked"]) == ("DONE", 2, False)
    assert (await api.client.get(done["downloadUrl"])).status_code == 200


async def test_a_job_lost_more_than_max_attempts_ends_failed_worker_lost(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    stale = datetime.now(UTC) - STALE
    lost = imports.ImportStatus(id=uuid.uuid4().hex, tenant_id=tenant.id, user_id=tenant.admin_id, kind="customers",
                                status="running", dry_run=False, file_name="c.csv", created_at=stale.isoformat())
    export = exports.ExportStatus(id=uuid.uuid4().hex, tenant_id=tenant.id, user_id=tenant.admin_id, status="PENDING",
                                  pii=False, created_at=stale.isoformat())
    await job_record(asdict(lost), imports.JOB_NAME, heartbeat_at=stale, attempts=jobs.MAX_ATTEMPTS)
    await job_record(asdict(export), exports.JOB_NAME, status="queued", heartbeat_at=stale,
                     attempts=jobs.MAX_ATTEMPTS)
    await jobs.requeue(rt.redis)
    for record in await Job.filter(id__in=[lost.id, export.id]):
        assert (record.status, record.error, record.attempts) == ("failed", "WORKER_LOST", jobs.MAX_ATTEMPTS)
        assert record.finished_at is not None
    shown = (await api.data(JOB, {"id": lost.id}, token=tenant.token))["importJob"]
    assert shown["status"] == "FAILED" and [e["code"] for e in shown["errors"]] == ["WORKER_LOST"]
    assert shown["finishedAt"]
    shown = (await api.data('query($id: ID!) { export(id: $id) { status errorCode } }', {"id": export.id},
                            token=tenant.token))["export"]
    assert shown == {"status": "FAILED", "errorCode": "WORKER_LOST"}
    # Another tenant reaches neither, through the API or the service.
    assert (await api.data(JOB, {"id": lost.id}, token=other_tenant.token))["importJob"] is None
    assert (await api.data(STATUS, {"id": export.id}, token=other_tenant.token))["export"] is None
    assert await jobs.load(other_tenant.id, lost.id) is None and await jobs.load(tenant.id, lost.id) is not None
    assert await jobs.load(tenant.id, "../" + lost.id) is None


async def test_a_job_arq_still_has_is_left_alone(app: Any, rt: Any, tenant: TenantFixture) -> None:
    """Queued behind a backlog, or deferred, for longer than the stall window: arq has it."""
    stale = datetime.now(UTC) - STALE
    waiting = [await job_record({"id": uuid.uuid4().hex, "tenant_id": tenant.id}, "test.waiting", status="queued",
                                heartbeat_at=stale) for _ in range(2)]
    with jobs_held(app):
        await rt.redis.enqueue_job("test.waiting", _job_id=jobs.arq_job_id(waiting[0]))
        await rt.redis.enqueue_job("test.waiting", _job_id=jobs.arq_job_id(waiting[1]), _defer_by=3600)
        try:
            await jobs.requeue(rt.redis)
            assert {(r.status, r.attempts) for r in await Job.filter(id__in=[w.id for w in waiting])} == {("queued", 1)}
        finally:
            for record in waiting:
                await rt.redis.zrem("arq:queue", jobs.arq_job_id(record))
                await rt.redis.delete(f"arq:job:{jobs.arq_job_id(record)}")
            await Job.filter(id__in=[w.id for w in waiting]).delete()


async def test_a_running_job_whose_worker_died_is_taken_back_from_arq_and_queued_again(
        app: Any, rt: Any, tenant: TenantFixture) -> None:
    """kill -9 mid-job: arq keeps the job in its queue and its in-progress mark until the job's
    timeout (an hour for an import). A running record silent for the stall window lost its worker:
    the old arq job is dropped (queue entry, mark, job) and the next attempt is queued at once."""
    stale = datetime.now(UTC) - STALE
    record = await job_record({"id": uuid.uuid4().hex, "tenant_id": tenant.id}, "test.dead", status="running",
                              heartbeat_at=stale)
    old_id = jobs.arq_job_id(record)
    with jobs_held(app):
        await rt.redis.enqueue_job("test.dead", _job_id=old_id)
        await rt.redis.psetex(f"arq:in-progress:{old_id}", 3_600_000, b"1")  # as the dead worker left it
        try:
            assert (await jobs.requeue(rt.redis))["requeued"] >= 1
            again = await Job.get(id=record.id)
            assert (again.status, again.attempts) == ("queued", record.attempts + 1)
            assert await rt.redis.zscore("arq:queue", old_id) is None
            assert not await rt.redis.exists(f"arq:in-progress:{old_id}", f"arq:job:{old_id}")
            assert await rt.redis.zscore("arq:queue", jobs.arq_job_id(again)) is not None
        finally:
            for arq_id in (old_id, f"job:{record.id}:{record.attempts + 1}"):
                await rt.redis.zrem("arq:queue", arq_id)
                await rt.redis.delete(f"arq:job:{arq_id}", f"arq:in-progress:{arq_id}")
            await Job.filter(id=record.id).delete()


async def test_the_purge_removes_old_finished_records_only(tenant: TenantFixture) -> None:
    now = datetime.now(UTC)
    day_old = now - jobs.KEEP - timedelta(minutes=1)
    made = {}
    for name, status, finished_at in (("old_done", "done", day_old), ("old_failed", "failed", day_old),
                                      ("recent", "done", now - timedelta(hours=1)), ("owed", "running", None)):
        made[name] = (await job_record({"id": uuid.uuid4().hex, "tenant_id": tenant.id}, "test.job", status=status,
                                       heartbeat_at=day_old, finished_at=finished_at)).id
    try:
        assert await jobs.purge(now) == 2
        left = set(await Job.filter(id__in=list(made.values())).values_list("id", flat=True))
        assert left == {made["recent"], made["owed"]}
    finally:
        await Job.filter(id__in=list(made.values())).delete()


class _RedisAway:
    async def enqueue_job(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Redis is away")


async def test_a_job_submitted_while_redis_is_away_is_recorded_and_owed(tenant: TenantFixture) -> None:
    """The request is answered (the record committed); the requeue cron sends it once Redis is back."""
    job_id = jobs.new_id()
    record = await jobs.submit(_RedisAway(), tenant.id, "test.later", [job_id], {"id": job_id}, job_id=job_id)  # type: ignore[arg-type]
    try:
        stored = await Job.get(id=record.id)
        assert (stored.status, stored.attempts, stored.document) == ("queued", 1, {"id": job_id})
        assert jobs.state(stored) == ("queued", "")
    finally:
        await Job.filter(id=record.id).delete()


async def test_an_import_sent_with_an_idempotency_key_is_queued_after_its_commit_and_runs(
        api: Api, rt: Any, tenant: TenantFixture) -> None:
    """The mutation runs in one outer transaction: its record commits with the key, then the job is queued."""
    operations = {"query": IMPORT % "importCustomers", "variables": {"i": {"file": None}}}
    response = await api.client.post(
        "/graphql", headers={"Authorization": f"Bearer {tenant.token}", "Idempotency-Key": uuid.uuid4().hex},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": ("c.csv", CSV, "text/csv")})
    job_id = response.json()["data"]["importCustomers"]["job"]["id"]
    done = await finished(api, rt, tenant.token, job_id)
    assert (done["status"], done["goodRows"], done["badRows"]) == ("DONE", 3, 1), done


async def _kill_the_worker_mid_job(rt: Any, job_id: str, part_way: Any) -> None:
    """Run the queued job in a real worker process (the jobs queue's, tests/fixtures/jobs_worker.py)
    and kill it with SIGKILL as soon as `part_way(record)` holds; then, once the job has been silent
    for the stall window, the requeue takes it back from arq and queues it again."""
    if rt.settings.embedded:
        pytest.skip("a worker in another process needs the suite's Redis: runs in the PostgreSQL suite")
    worker = subprocess.Popen([sys.executable, "tests/fixtures/jobs_worker.py"], cwd=ROOT,  # noqa: ASYNC220
                              env=process_env(rt))
    try:
        for _ in range(600):
            record = await Job.get(id=job_id)
            if part_way(record):
                break
            assert worker.poll() is None, "the worker process ended"
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the job never got part-way: {record.status} {record.document}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert (await Job.get(id=job_id)).status == "running"  # nobody said it ended
    await Job.filter(id=job_id).update(heartbeat_at=datetime.now(UTC) - STALE)
    assert (await jobs.requeue(rt.redis))["requeued"] == 1


async def test_an_import_and_an_export_whose_worker_is_killed_mid_job_resume_and_end_exact(
        api: Api, rt: Any, tenant: TenantFixture) -> None:
    """SIGKILL of a real worker process part-way through an import, then through an export of what
    it imported: each stays running, is queued again by the requeue and ends done, every customer
    existing exactly once and the export holding every one of them."""
    rows = 12_000
    content = ("email,first_name\n" + "".join(f"k{i}@kill.example,K{i}\n" for i in range(rows))).encode()
    import_id = (await start(api, tenant.token, "importCustomers", "big.csv", content))["job"]["id"]
    await _kill_the_worker_mid_job(
        rt, import_id, lambda r: r.status == "running" and 0 < int(r.document.get("done") or 0) < rows)
    assert 0 < await Customer.filter(tenant_id=tenant.id).count() < rows
    done = await finished(api, rt, tenant.token, import_id)
    assert (done["status"], done["processedRows"], done["goodRows"]) == ("DONE", rows, rows), done
    assert done["counts"]["created"] + done["counts"]["unchanged"] == rows and done["counts"]["failed"] == 0
    assert await Customer.filter(tenant_id=tenant.id).count() == rows

    export_id = (await api.data(EXPORT, {"i": {}}, token=tenant.token))["exportCustomers"]["export"]["id"]
    await _kill_the_worker_mid_job(rt, export_id, lambda r: r.status == "running")
    exported = await export_finished(api, rt, tenant.token, export_id)
    assert (exported["status"], exported["rowCount"]) == ("DONE", rows), exported
    assert (await api.client.get(exported["downloadUrl"])).status_code == 200


async def test_an_import_whose_worker_is_stopped_with_sigterm_is_handed_back_and_resumes(
        api: Api, rt: Any, tenant: TenantFixture) -> None:
    """A deploy stops a worker with SIGTERM while an import runs: it picks nothing new, gives the job
    its grace (none here: the file is quicker than any grace), cancels it and hands it back to arq,
    and exits cleanly; the next worker runs the file again and every customer exists exactly once."""
    if rt.settings.embedded:
        pytest.skip("a worker in another process needs the suite's Redis: runs in the PostgreSQL suite")
    rows = 12_000
    content = ("email,first_name\n" + "".join(f"t{i}@term.example,T{i}\n" for i in range(rows))).encode()
    job_id = (await start(api, tenant.token, "importCustomers", "term.csv", content))["job"]["id"]
    worker = subprocess.Popen([sys.executable, "tests/fixtures/jobs_worker.py"], cwd=ROOT,  # noqa: ASYNC220
                              env=process_env(rt, GRACE="0"))
    try:
        for _ in range(600):
            record = await Job.get(id=job_id)
            if record.status == "running" and 0 < int(record.document.get("done") or 0) < rows:
                break
            assert worker.poll() is None, "the worker process ended"
            await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert 0 < await Customer.filter(tenant_id=tenant.id).count() < rows  # stopped part-way
    assert await ArqJob(jobs.arq_job_id(await Job.get(id=job_id)), rt.redis).status() == JobStatus.queued
    done = await finished(api, rt, tenant.token, job_id)  # handed back: no requeue needed
    assert (done["status"], done["processedRows"], done["goodRows"]) == ("DONE", rows, rows), done
    assert await Customer.filter(tenant_id=tenant.id).count() == rows
