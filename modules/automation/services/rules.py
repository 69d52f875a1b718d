"""Rules per tenant: checked whole before anything is written, saved with an audit entry.

A rule names a trigger the installed modules declare, conditions over that trigger's fields
(core/conditions.py) and actions (services/actions.py). Every mistake is reported at once, each
at its path, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, automation, conditions
from core.auth.principal import Principal
from core.automation import Trigger
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.automation.models import Rule
from modules.automation.services.actions import check_actions
from modules.automation.services.errors import automation_error as err

UNSET: Any = object()  # "leave as it is" in an update
MAX_RULES = 500
MAX_DESCRIPTION = 500
MAX_POSITION = 1_000_000


@dataclass
class RuleChange:
    """What a create or an update gives; UNSET keeps the current value (an update) or the default."""

    trigger: Any = UNSET
    conditions: Any = UNSET
    actions: Any = UNSET
    description: Any = UNSET
    position: Any = UNSET
    enabled: Any = UNSET


def find_trigger(name: Any, errors: list[UserFacingError]) -> Trigger | None:
    declared = automation.trigger(name) if isinstance(name, str) else None
    if declared is None:
        errors.append(err("UNKNOWN_TRIGGER", N_("Unknown trigger {trigger}."), ["trigger"],
                          trigger=name if isinstance(name, str) else "-"))
    return declared


async def checked(tenant_id: int, change: RuleChange, current: Rule | None = None) -> dict[str, Any]:
    """The columns to write; raises UserFacingErrors with every mistake. A trigger changed on update
    checks the current conditions and actions against the new trigger too."""
    errors: list[UserFacingError] = []
    values: dict[str, Any] = {}
    trigger_name = current.trigger if change.trigger is UNSET and current else change.trigger
    trigger = find_trigger(trigger_name, errors)
    if change.trigger is not UNSET:
        values["trigger"] = trigger_name
    if trigger is not None:
        rule = current.conditions if change.conditions is UNSET and current else change.conditions
        rule = {} if rule is UNSET or rule is None else rule
        errors += conditions.check(rule, trigger.fields)
        values["conditions"] = rule
        given = current.actions if change.actions is UNSET and current else change.actions
        values["actions"], more = await check_actions(tenant_id, trigger, None if given is UNSET else given)
        errors += more
    if change.description is not UNSET:
        text = (change.description or "").strip()
        if len(text) > MAX_DESCRIPTION:
            errors.append(err("TOO_LONG", N_("At most {max} characters."), ["description"], max=MAX_DESCRIPTION))
        values["description"] = text
    if change.position is not UNSET:
        if not isinstance(change.position, int) or not 0 <= change.position <= MAX_POSITION:
            errors.append(err("INVALID_POSITION", N_("A position from 0 to {max}."), ["position"], max=MAX_POSITION))
        values["position"] = change.position
    if change.enabled is not UNSET and change.enabled is not None:
        values["enabled"] = bool(change.enabled)
    if errors:
        raise UserFacingErrors(errors)
    return values


def snapshot(rule: Rule) -> dict[str, Any]:
    return {"trigger": rule.trigger, "description": rule.description, "conditions": rule.conditions,
            "actions": rule.actions, "position": rule.position, "enabled": rule.enabled}


async def get_rule(tenant_id: int, rule_id: int, *, lock: bool = False) -> Rule:
    query = scoped(Rule, tenant_id).filter(id=rule_id)
    rule = await (query.select_for_update() if lock else query).first()
    if rule is None:
        raise err("NOT_FOUND", N_("No such rule."), ["id"])
    return rule


async def create_rule(actor: Principal, change: RuleChange) -> Rule:
    """A new rule; without a position it runs after the tenant's other rules."""
    tid = actor.tenant_id
    values = await checked(tid, change)
    async with in_transaction():
        if await scoped(Rule, tid).count() >= MAX_RULES:
            raise err("TOO_MANY", N_("At most {max} rules."), ["trigger"], max=MAX_RULES)
        if "position" not in values:
            last = await scoped(Rule, tid).order_by("-position").first()
            values["position"] = min(last.position + 1, MAX_POSITION) if last else 0
        rule = await Rule.create(tenant_id=tid, **values)
        await audit.record(actor, tid, "rule.create", "Rule", rule.id, None, snapshot(rule))
    return rule


async def update_rule(actor: Principal, rule_id: int, change: RuleChange) -> Rule:
    tid = actor.tenant_id
    async with in_transaction():
        rule = await get_rule(tid, rule_id, lock=True)
        values = await checked(tid, change, rule)
        before = snapshot(rule)
        rule.update_from_dict(values)
        await rule.save()
        await audit.record(actor, tid, "rule.update", "Rule", rule.id, before, snapshot(rule))
    return rule


async def delete_rule(actor: Principal, rule_id: int) -> None:
    """The rule goes, and its firings with it."""
    tid = actor.tenant_id
    async with in_transaction():
        rule = await get_rule(tid, rule_id, lock=True)
        before = snapshot(rule)
        await rule.delete()
        await audit.record(actor, tid, "rule.delete", "Rule", rule_id, before, None)


def ordered(tenant_id: int, trigger: str) -> Any:
    """The tenant's enabled rules of a trigger, in the order they fire."""
    return scoped(Rule, tenant_id).filter(trigger=trigger, enabled=True).order_by("position", "id")
