"""What a rule would do with one event: whether its conditions hold and which actions run on what.
Shared by the firing (services/firing.py) and the dry run (services/dry_run.py), so a test of a
rule shows exactly what firing it does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core import automation, conditions
from core.automation import Action, Trigger

MAX_CHAIN_DEPTH = 5  # a firing caused by this many firings in a row runs nothing (result "stopped")


@dataclass(frozen=True)
class Step:
    action: Action
    params: Mapping[str, Any]
    subject_id: int | None  # None: the event names no such subject (a ticket without a customer)


@dataclass(frozen=True)
class Plan:
    matches: bool
    steps: Sequence[Step] = field(default_factory=tuple)
    error: str = ""  # why it cannot run: RULE_BROKEN (an action or field no longer declared), CHAIN_TOO_DEEP


def plan(trigger: Trigger, rule_conditions: Any, actions: Sequence[Mapping[str, Any]], data: Mapping[str, Any],
         depth: int = 0) -> Plan:
    try:
        holds = conditions.matches(rule_conditions or {}, trigger.fields, data)
    except (KeyError, TypeError, ValueError, AttributeError):  # a stored rule the trigger no longer fits
        return Plan(False, error="RULE_BROKEN")
    if not holds:
        return Plan(False)
    steps = []
    for item in actions:
        declared = automation.action(str(item.get("action")))
        if declared is None or declared.subject not in trigger.subjects:
            return Plan(True, error="RULE_BROKEN")
        subject = data.get(trigger.subjects[declared.subject])
        valid = isinstance(subject, int) and not isinstance(subject, bool)
        steps.append(Step(declared, item.get("params") or {}, subject if valid else None))
    if depth >= MAX_CHAIN_DEPTH:
        return Plan(True, steps, "CHAIN_TOO_DEEP")
    return Plan(True, steps)
