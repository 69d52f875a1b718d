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


def given(value: Any) -> Any:
    """strawberry's UNSET (not sent) as the services' UNSET (keep)."""
    return UNSET if value is strawberry.UNSET else value


def change_of(source: Any) -> RuleChange:
    """A RuleChange from any rule input with these optional fields."""
    actions = given(source.actions)
    if isinstance(actions, list):
        actions = [{"action": a.action, "params": a.params} for a in actions]
    return RuleChange(trigger=given(source.trigger), conditions=given(source.conditions), actions=actions,
                      description=given(getattr(source, "description", strawberry.UNSET)),
                      position=given(getattr(source, "position", strawberry.UNSET)),
                      enabled=given(getattr(source, "enabled", strawberry.UNSET)))
