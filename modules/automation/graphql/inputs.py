"""What rule inputs share: the action input and turning a GraphQL input into a services.rules.RuleChange."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from modules.automation.services.rules import UNSET, RuleChange


@strawberry.input(description="One action of a rule: a declared action's name and its parameters.")
class RuleActionInput:
    action: str
    params: JSON | None = None


@strawberry.input(description="When a rule fires if not on its event: this many minutes after (negative: "
                                "before) the event's time, or a date of the event (`from`, e.g. sla_due_at).")
class RuleTimingInput:
    minutes: int
    from_: str | None = strawberry.field(default=None, name="from")


TIMING_HELP = "Omit to keep; null: fire on the event itself."
SCHEDULE_HELP = ('Rules on automation.schedule: {"every": "day"|"week"|"month", "on": ["mon", ...] or [1, 15], '
                 '"at": "09:00"} in the account\'s time zone.')


def given(value: Any) -> Any:
    """strawberry's UNSET (not sent) as the services' UNSET (keep)."""
    return UNSET if value is strawberry.UNSET else value


def change_of(source: Any) -> RuleChange:
    """A RuleChange from any rule input with these optional fields."""
    actions = given(source.actions)
    if isinstance(actions, list):
        actions = [{"action": a.action, "params": a.params} for a in actions]
    timing = given(getattr(source, "timing", strawberry.UNSET))
    if isinstance(timing, RuleTimingInput):
        timing = {"minutes": timing.minutes, "from": timing.from_ or ""}
    return RuleChange(trigger=given(source.trigger), conditions=given(source.conditions), actions=actions,
                      timing=timing, schedule=given(getattr(source, "schedule", strawberry.UNSET)),
                      description=given(getattr(source, "description", strawberry.UNSET)),
                      position=given(getattr(source, "position", strawberry.UNSET)),
                      enabled=given(getattr(source, "enabled", strawberry.UNSET)))
