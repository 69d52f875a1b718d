"""Firing: the outbox handler for every declared trigger's events runs the tenant's enabled rules
of that trigger in order, each at most once per event.

The handler runs in core.events.dispatch's transaction. Each matching rule runs its actions in a
savepoint and writes its firing row (unique per rule and cause) in it: the effects and the record
of them commit together, or neither does. An action that fails (a user-facing code, or an error of
the action's own) undoes the rule's effects and records a failed firing; the rules after it still
run. A database outage or a concurrent delivery (the unique key) fails the whole delivery, which the
outbox retries. Events the actions emit carry the chain depth (core.events.chained): past
MAX_CHAIN_DEPTH a rule records a "stopped" firing and does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import automation, events
from core.automation import ActionRun
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import OutboxEvent
from core.outage import is_outage
from core.tenancy import scoped
from modules.automation.models import Rule, RuleFiring
from modules.automation.services.errors import automation_error as err
from modules.automation.services.plan import Plan, plan
from modules.automation.services.rules import ordered

log = logging.getLogger(__name__)


def cause_key(event: OutboxEvent) -> str:
    return f"event:{event.id}"


async def fire(event: OutboxEvent) -> None:
    """Outbox handler: the tenant's enabled rules of this event's trigger, by position."""
    trigger = automation.trigger(event.topic)
    if trigger is None or event.tenant_id is None:
        return
    depth = events.chain_depth(event)
    payload = event.payload if isinstance(event.payload, dict) else {}
    for rule in await ordered(event.tenant_id, event.topic):
        if await scoped(RuleFiring, event.tenant_id).filter(rule_id=rule.id, cause_key=cause_key(event)).exists():
            continue  # fired by an earlier delivery
        verdict = plan(trigger, rule.conditions, rule.actions, payload, depth)
        if verdict.matches or verdict.error:
            await _fire(rule, event, verdict, depth)


async def _fire(rule: Rule, event: OutboxEvent, verdict: Plan, depth: int) -> None:
    row = {"tenant_id": rule.tenant_id, "rule_id": rule.id, "cause": "event", "cause_key": cause_key(event),
           "event_id": event.id, "depth": depth}
    if verdict.error:
        await RuleFiring.create(**row, result="stopped", error=verdict.error,
                                actions=[_state(s.action.name, "skipped") for s in verdict.steps])
        return
    done: list[str] = []
    try:
        async with in_transaction():
            with events.chained(depth + 1):
                for step in verdict.steps:
                    if step.subject_id is None:
                        raise err("NO_SUBJECT", N_("The event names no {subject}."), subject=step.action.subject)
                    run = ActionRun(rule.tenant_id, step.subject_id, event.payload, rule.id)
                    await step.action.run(run, step.params)
                    done.append(step.action.name)
            await RuleFiring.create(**row, result="done", actions=[_state(n, "done") for n in done])
    except IntegrityError:
        raise  # another delivery of this event fired the rule meanwhile: the outbox sorts it out
    except Exception as exc:  # an action's own failure must not hold the event, nor the other rules
        if is_outage(exc):
            raise
        code = error_code(exc)
        log.warning("rule %s failed on event %s with %s", rule.id, event.id, code[:100])
        failed = len(done)  # the step that raised (past the last: recording the firing failed)
        states = [_state(s.action.name, "undone" if i < failed else "failed" if i == failed else "skipped")
                  for i, s in enumerate(verdict.steps)]
        await RuleFiring.create(**row, result="failed", error=code[:100], actions=states)


def error_code(exc: Exception) -> str:
    """What a failed firing records: the user-facing code, or the exception's type (never its text,
    which may hold data)."""
    if isinstance(exc, UserFacingErrors) and exc.errors:
        return exc.errors[0].code
    return exc.code if isinstance(exc, UserFacingError) else type(exc).__name__


def _state(action: str, state: str) -> dict[str, Any]:
    return {"action": action, "state": state}
