"""Each (rule, event) fires exactly once even when the process firing it is killed with SIGKILL in the
middle of the rule's actions, or when Redis is flushed with the event's job in it: a worker of the
jobs queue on an event, the time scan on an offset's firing. What the killed firing did dies with
its transaction; the next delivery (or scan) fires it once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from strawberry import relay as relay_id

from core import automation, events
from core.automation import Action, ActionRun
from core.models import OutboxEvent
from modules.automation.models import DueFiring, RuleFiring
from modules.automation.services.time_scan import scan
from tests.conftest import BACKEND, Api, TenantFixture, process_env
from tests.modules.automation_support import create_rule, customer, deliver, firings, move_order, order, tag, tags_of
from workers.settings import compose

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="a worker in another process on the suite's "
                                "database and Redis: runs in the PostgreSQL suite")
ROOT = Path(__file__).resolve().parents[2]
STALLING = [{"action": "crm.add_tag", "params": {"tag": "VIP"}}, {"action": "tests.stall"}]


async def _no_stall(run: ActionRun, params: Mapping[str, Any]) -> None:
    """In this process tests.stall does nothing: the delivery after the kill goes through."""


@pytest.fixture
def stall_action() -> Iterator[None]:
    before = automation.catalog()
    action = Action("tests.stall", "Stall", "customer", (), _no_stall, module="tests")
    automation.install(replace(before, actions={**before.actions, action.name: action}))
    yield
    automation.install(before)


def _start(rt: Any, mode: str, marker: Path) -> subprocess.Popen[bytes]:
    env = process_env(rt, STALL_FILE=str(marker))
    return subprocess.Popen([sys.executable, "tests/fixtures/automation_stall.py", mode], cwd=ROOT, env=env)


async def _kill_when_stalled(process: subprocess.Popen[bytes], marker: Path) -> None:
    try:
        for _ in range(1500):
            if await asyncio.to_thread(marker.exists):
                break
            assert process.poll() is None, "the process ended before it was killed"
            await asyncio.sleep(0.04)
        assert await asyncio.to_thread(marker.exists), "the firing never reached its stalling action"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()


async def _shipped_event(api: Api, rt: Any, t: TenantFixture) -> tuple[str, OutboxEvent]:
    """A customer whose order shipped, its other events delivered, the shipped one still owed."""
    who = await customer(api, t)
    await move_order(api, t, await order(api, t, who, "150"), "shipped")
    handlers = compose(rt.modules).event_handlers
    for owed in await OutboxEvent.filter(tenant_id=t.id, handled_at=None).order_by("created_at"):
        if owed.topic != "crm.order.status_changed":
            await events.dispatch(str(owed.id), handlers)
    return who, await OutboxEvent.get(tenant_id=t.id, topic="crm.order.status_changed")


async def test_a_worker_killed_mid_firing_leaves_nothing_and_the_rule_fires_once_on_redelivery(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any, stall_action: None, tmp_path: Path) -> None:
    await tag(api, tenant, "VIP")
    rule = await create_rule(api, tenant, trigger="crm.order.status_changed", actions=STALLING)
    who, event = await _shipped_event(api, rt, tenant)
    job_id = f"event:{event.id}"
    marker = tmp_path / "stalled"
    try:
        await rt.redis.enqueue_job(events.DISPATCH_JOB, str(event.id), _job_id=job_id)
        await _kill_when_stalled(_start(rt, "worker", marker), marker)
        assert marker.read_text() == relay_id.GlobalID.from_id(who).node_id  # it stalled on this customer
        # The tag the first action added died with the firing's transaction, and so did its record.
        assert await tags_of(tenant, who) == [] and await firings(api, tenant, rule["id"]) == []
        assert (await OutboxEvent.get(id=event.id)).handled_at is None
    finally:
        for key in (f"arq:in-progress:{job_id}", f"arq:job:{job_id}", f"arq:retry:{job_id}"):
            await rt.redis.delete(key)
        await rt.redis.zrem("arq:queue", job_id)
    handlers = compose(rt.modules).event_handlers
    await events.dispatch(str(event.id), handlers)  # its redelivery, once REDELIVER_AFTER has passed
    assert await events.dispatch(str(event.id), handlers) == []
    (fired,) = await firings(api, tenant, rule["id"])
    assert fired["result"] == "done" and fired["eventId"] == str(event.id)
    assert await tags_of(tenant, who) == ["VIP"]


async def test_a_scan_killed_mid_firing_leaves_the_firing_due_and_the_next_scan_fires_it_once(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any, stall_action: None, tmp_path: Path) -> None:
    await tag(api, tenant, "VIP")
    rule = await create_rule(api, tenant, trigger="crm.order.status_changed", timing={"minutes": 60},
                             actions=STALLING)
    who, event = await _shipped_event(api, rt, tenant)
    await deliver(rt, tenant.id)
    due = await DueFiring.get(tenant_id=tenant.id, event_id=event.id)
    await DueFiring.filter(id=due.id).update(due_at=datetime.now(UTC) - timedelta(seconds=1))  # its hour passed
    marker = tmp_path / "stalled"
    await _kill_when_stalled(_start(rt, "scan", marker), marker)
    assert await DueFiring.filter(id=due.id).exists()  # still due: its deletion died with the firing
    assert await tags_of(tenant, who) == [] and await firings(api, tenant, rule["id"]) == []
    await scan()
    await scan()
    (fired,) = await firings(api, tenant, rule["id"])
    assert fired["cause"] == "offset" and fired["result"] == "done"
    assert await tags_of(tenant, who) == ["VIP"] and not await DueFiring.filter(id=due.id).exists()


async def test_redis_flushed_with_the_events_job_in_it_loses_no_firing_and_fires_once(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any, tmp_path: Path) -> None:
    await tag(api, tenant, "VIP")
    await tag(api, tenant, "later")
    now_rule = await create_rule(api, tenant, trigger="crm.order.status_changed",
                                 actions=[{"action": "crm.add_tag", "params": {"tag": "VIP"}}])
    later_rule = await create_rule(api, tenant, trigger="crm.order.status_changed", timing={"minutes": 30},
                                   actions=[{"action": "crm.add_tag", "params": {"tag": "later"}}])
    who, event = await _shipped_event(api, rt, tenant)
    assert await relay(rt.redis) >= 1  # the event's job is in Redis...
    await rt.redis.flushdb()  # ...and gone before any worker ran it
    assert await firings(api, tenant, now_rule["id"]) == []
    # The outbox still owes it: once its redelivery window has passed, the relay sends it again, and a
    # worker process fires the rule (and owes the later one its firing, in the database).
    await OutboxEvent.filter(id=event.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await relay(rt.redis) >= 1
    worker = _start(rt, "worker", tmp_path / "unused")
    try:
        for _ in range(1500):
            if (await OutboxEvent.get(id=event.id)).handled_at is not None:
                break
            assert worker.poll() is None
            await asyncio.sleep(0.04)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    assert (await OutboxEvent.get(id=event.id)).handled_at is not None
    await rt.redis.flushdb()  # flushed again: the offset's firing lives in the database
    await deliver(rt, tenant.id)
    await scan(datetime.now(UTC) + timedelta(minutes=31))
    await scan(datetime.now(UTC) + timedelta(minutes=32))
    assert [f["result"] for f in await firings(api, tenant, now_rule["id"])] == ["done"]
    assert [f["cause"] for f in await firings(api, tenant, later_rule["id"])] == ["offset"]
    assert await tags_of(tenant, who) == ["VIP", "later"]
    assert await RuleFiring.filter(tenant_id=tenant.id).count() == 2
