"""The SLA scan killed with SIGKILL part-way through its due tickets: each ticket's check is its own
transaction, so what was done stays done and nothing is half-done; the next run finishes the rest,
and every ticket's breach fires its rule exactly once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.models import OutboxEvent
from modules.aftersales.jobs.sla import sla_scan
from modules.aftersales.models import EscalationRecord, Ticket
from tests.conftest import BACKEND, Api, TenantFixture, process_env
from tests.modules.test_aftersales_sla_scan import rule

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="a scan in another process on the suite's database: "
                                "runs in the PostgreSQL suite")
ROOT = Path(__file__).resolve().parents[2]
TICKETS = 600


async def test_a_scan_killed_part_way_is_finished_by_the_next_run_exactly_once(
        api: Api, rt: Any, tenant: TenantFixture) -> None:
    await rule(api, tenant, name="Breached: tell", notify=True)
    now = datetime.now(UTC)
    await Ticket.bulk_create([
        Ticket(tenant_id=tenant.id, number=n + 1, subject=f"Late {n}", first_response_due=now - timedelta(minutes=5),
               next_sla_due=now - timedelta(minutes=5)) for n in range(TICKETS)], batch_size=500)
    ids = set(await Ticket.filter(tenant_id=tenant.id).values_list("id", flat=True))
    env = process_env(rt)
    scan = subprocess.Popen([sys.executable, "tests/fixtures/sla_scan_once.py"], cwd=ROOT, env=env)  # noqa: ASYNC220
    try:
        for _ in range(1200):
            done = await EscalationRecord.filter(ticket_id__in=ids).count()
            if done >= 20:
                break
            assert scan.poll() is None, "the scan ended before it was killed"
            await asyncio.sleep(0.02)
        scan.send_signal(signal.SIGKILL)
        scan.wait(10)
    finally:
        if scan.poll() is None:
            scan.kill()
    part = await EscalationRecord.filter(ticket_id__in=ids).count()
    assert 0 < part < TICKETS, part
    # Nothing half-done: a ticket is breached exactly when its rule fired.
    breached = set(await Ticket.filter(id__in=ids, sla_breached=True).values_list("id", flat=True))
    assert breached == set(await EscalationRecord.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    await sla_scan({"rt": rt})
    await sla_scan({"rt": rt})
    assert await EscalationRecord.filter(ticket_id__in=ids).count() == TICKETS
    assert await Ticket.filter(id__in=ids, sla_breached=True, escalation_level=1).count() == TICKETS
    escalated = OutboxEvent.filter(tenant_id=tenant.id, topic="aftersales.ticket_escalated")
    assert await escalated.count() == TICKETS
    await escalated.delete()  # this test's own: no later test should find 600 events owed
