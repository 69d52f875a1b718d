"""GraphQL types of automation: rules, their firings, and the triggers and actions modules declare."""

from __future__ import annotations

from datetime import datetime
from typing import Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from core.automation import Action, Field, Trigger
from core.graphql.node import ScopedNode
from core.i18n import translate
from modules.automation import models
from modules.automation.services.plan import Plan, Step

READ = ("automation.rule", "read")
CONDITIONS_HELP = ('{"all"|"any": [c, ...]} | {"not": c} | {"field", "op", "value"} over the trigger\'s fields; '
                   "see docs/automation.md.")


@strawberry.type(name="Rule", description="On an event of its trigger, when its conditions hold, run its actions.")
class RuleType(ScopedNode):
    id: relay.NodeID[int]
    trigger: str = strawberry.field(description="The event it fires on, e.g. crm.order.status_changed.")
    description: str
    conditions: JSON = strawberry.field(description=CONDITIONS_HELP + " {} always holds.")
    actions: JSON = strawberry.field(description='[{"action": "crm.add_tag", "params": {"tag": "VIP"}}, ...]')
    position: int = strawberry.field(description="Rules of a trigger run by position, then by age.")
    enabled: bool
    created_at: datetime
    updated_at: datetime
    read_permission = READ
    model = models.Rule

    @classmethod
    def from_row(cls, row: models.Rule) -> Self:
        return cls(id=row.id, trigger=row.trigger, description=row.description, conditions=row.conditions,
                   actions=row.actions, position=row.position, enabled=row.enabled, created_at=row.created_at,
                   updated_at=row.updated_at)


@strawberry.type(name="RuleActionState")
class ActionStateType:
    action: str
    state: str = strawberry.field(description="done, failed, undone (rolled back with a later failure), skipped.")


@strawberry.type(name="RuleFiring", description="One firing of a rule, recorded once per rule and cause.")
class RuleFiringType(ScopedNode):
    id: relay.NodeID[int]
    rule_id: strawberry.Private[int]
    cause: str = strawberry.field(description="What made it fire: event (demo: the example data's).")
    event_id: str | None
    result: str = strawberry.field(description="done, failed (its effects undone) or stopped (chain too deep).")
    error: str | None = strawberry.field(description="A code when it failed or stopped.")
    actions: list[ActionStateType]
    depth: int = strawberry.field(description="How many firings in a row led to its event.")
    created_at: datetime
    read_permission = READ
    model = models.RuleFiring

    @classmethod
    def from_row(cls, row: models.RuleFiring) -> Self:
        return cls(id=row.id, rule_id=row.rule_id, cause=row.cause,
                   event_id=str(row.event_id) if row.event_id else None, result=row.result,
                   error=row.error or None, depth=row.depth, created_at=row.created_at,
                   actions=[ActionStateType(action=str(a.get("action")), state=str(a.get("state")))
                            for a in row.actions if isinstance(a, dict)])


@strawberry.type(name="AutomationField", description="A field of a trigger's events, or a parameter of an action.")
class FieldType:
    name: str
    type: str = strawberry.field(description="string, number, boolean, datetime, money, enum, list or node.")
    label: str
    choices: list[str]
    node_type: str | None = strawberry.field(description="node: the type whose global ID it takes.")

    @classmethod
    def of(cls, f: Field, domain: str, locale: str) -> FieldType:
        return cls(name=f.name, type=f.type, label=translate(domain, f.label, locale) if f.label else f.name,
                   choices=list(f.choices), node_type=f.node_type or None)


@strawberry.type(name="AutomationTrigger")
class TriggerType:
    event: str
    label: str
    module: str
    fields: list[FieldType]
    subjects: list[str] = strawberry.field(description="What its events are about: actions on these apply.")

    @classmethod
    def of(cls, t: Trigger, locale: str) -> TriggerType:
        return cls(event=t.event, label=translate(t.module, t.label, locale), module=t.module,
                   fields=[FieldType.of(f, t.module, locale) for f in t.fields], subjects=sorted(t.subjects))


@strawberry.type(name="AutomationAction")
class ActionType:
    name: str
    label: str
    module: str
    subject: str
    params: list[FieldType]

    @classmethod
    def of(cls, a: Action, locale: str) -> ActionType:
        return cls(name=a.name, label=translate(a.module, a.label, locale), module=a.module, subject=a.subject,
                   params=[FieldType.of(p, a.module, locale) for p in a.params])


@strawberry.type(name="RuleStep", description="One action a rule would run.")
class StepType:
    action: str
    params: JSON
    subject_id: strawberry.ID | None = strawberry.field(
        description="What it would act on (a Customer's, a Ticket's global ID); null when the event names none "
                    "(it would fail with NO_SUBJECT).")


@strawberry.type(name="RuleTry", description="What a rule would have done with one past event.")
class TryType:
    event_id: str
    at: datetime
    matches: bool
    would_run: list[StepType]
    error: str | None = strawberry.field(description="Why it would not run: CHAIN_TOO_DEEP, RULE_BROKEN.")


def steps(verdict: Plan) -> list[StepType]:
    return [StepType(action=s.action.name, params=cast(JSON, dict(s.params)), subject_id=_global_id(s))
            for s in verdict.steps]


def _global_id(step: Step) -> strawberry.ID | None:
    if step.subject_id is None or not step.action.subject_type:
        return None
    return strawberry.ID(str(relay.GlobalID(step.action.subject_type, str(step.subject_id))))
