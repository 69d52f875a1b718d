"""The time scan: fires every DueFiring whose time has come, each exactly once.

Run every minute by the cron worker (automation.time_scan) and worked only from the database: a
minute missed (workers down, Redis flushed) is caught up by the next run. Each row is fired in a
transaction of its own that locks it (skipping rows another scan holds), runs the rule through
firing.run_rule (the RuleFiring's unique key is the cause: the event and the offset, or the slot)
and deletes it, so a scan killed mid-row leaves the row due and nothing of its effects.

What the conditions see: the event's payload as it was, with the facts its trigger can read again
(`Trigger.current`: a ticket's status, an order's status) as they are at firing time. A rule
switched off meanwhile has no pending rows; one found disabled is dropped without a firing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import automation
from core.tenancy import scoped
from modules.automation.models import DueFiring, Rule
from modules.automation.services.firing import Cause, fired, run_rule
from modules.automation.services.plan import plan
from modules.automation.services.timing import owe_next_slot

BATCH = 200
log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    due: int = 0
    fired: int = 0
    dropped: int = 0


async def scan(now: datetime | None = None) -> ScanResult:
    """Fire what is due at `now` (the clock tests move), oldest first, across tenants."""
    now = now or datetime.now(UTC)
    result = ScanResult()
    after: tuple[datetime, int] | None = None
    while True:
        query = DueFiring.filter(due_at__lte=now)
        if after is not None:
            query = query.filter(Q(due_at__gte=after[0]), Q(due_at__gt=after[0]) | Q(id__gt=after[1]))
        rows = await query.order_by("due_at", "id").limit(BATCH).values_list("due_at", "id")
        for _, pk in rows:
            result.due += 1
            await _fire_one(pk, now, result)
        if len(rows) < BATCH:
            return result
        after = rows[-1]


async def _fire_one(pk: int, now: datetime, result: ScanResult) -> None:
    try:
        await _fire_locked(pk, now, result)
    except IntegrityError:
        # Another scan fired it meanwhile (where rows cannot be locked, SQLite): its firing's unique
        # key refused this one's, and this transaction is undone whole.
        log.info("due firing %s was fired by another scan", pk)


async def _fire_locked(pk: int, now: datetime, result: ScanResult) -> None:
    async with in_transaction():
        row = await DueFiring.filter(id=pk).select_for_update(skip_locked=True).first()
        if row is None:
            return  # fired by another scan meanwhile
        await row.delete()
        rule = await scoped(Rule, row.tenant_id).filter(id=row.rule_id).first()
        trigger = automation.trigger(rule.trigger) if rule else None
        if rule is None or not rule.enabled or trigger is None:
            result.dropped += 1
            return
        if row.cause == "schedule":
            await owe_next_slot(rule, max(row.due_at, now))
        cause = Cause(row.cause, row.cause_key, row.event_id, await _data_now(rule.tenant_id, trigger, row.data),
                      row.depth)
        if await fired(rule, cause):
            return
        verdict = plan(trigger, rule.conditions, rule.actions, cause.data, cause.depth)
        if verdict.matches or verdict.error:
            await run_rule(rule, cause, verdict)
            result.fired += 1


async def _data_now(tenant_id: int, trigger: automation.Trigger, data: Any) -> dict[str, Any]:
    was = dict(data) if isinstance(data, dict) else {}
    now = await trigger.current(tenant_id, was) if trigger.current else None
    return {**was, **(now or {})}
