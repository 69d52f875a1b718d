"""A rule's actions, checked on save against what the installed modules declare (core.automation).

Stored as `[{"action": "crm.add_tag", "params": {"tag": "VIP"}}, ...]`: each action must exist, act
on something the trigger's event is about (its `subject`), and get each declared parameter with a
value of its type (core.conditions.check_value) that the module's own check accepts.
"""

from __future__ import annotations

from typing import Any

from core import automation, conditions
from core.automation import Trigger
from core.errors import UserFacingError
from core.i18n import N_
from modules.automation.services.errors import automation_error as err

MAX_ACTIONS = 10


async def check_actions(tenant_id: int, trigger: Trigger, given: Any,
                        path: tuple[str, ...] = ("actions",)) -> tuple[list[dict[str, Any]], list[UserFacingError]]:
    """(normalised actions, every mistake with its path)."""
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_ACTIONS:
        return [], [err("INVALID_ACTIONS", N_("List 1 to {max} actions."), path, max=MAX_ACTIONS)]
    out: list[dict[str, Any]] = []
    errors: list[UserFacingError] = []
    for i, item in enumerate(given):
        at = [*path, str(i)]
        checked = await _check_one(tenant_id, trigger, item, at, errors)
        if checked is not None:
            out.append(checked)
    return out, errors


async def _check_one(tenant_id: int, trigger: Trigger, item: Any, at: list[str],
                     errors: list[UserFacingError]) -> dict[str, Any] | None:
    name = item.get("action") if isinstance(item, dict) else None
    declared = automation.action(name) if isinstance(name, str) else None
    if declared is None:
        errors.append(err("UNKNOWN_ACTION", N_("Unknown action {action}."), [*at, "action"], action=str(name)))
        return None
    if declared.subject not in trigger.subjects:
        errors.append(err("ACTION_NOT_APPLICABLE", N_("{action} acts on a {subject}, which this trigger's events "
                                                      "are not about."), [*at, "action"],
                          action=declared.name, subject=declared.subject))
        return None
    raw = item.get("params") or {}
    if not isinstance(raw, dict):
        errors.append(err("INVALID_PARAMS", N_("Parameters are an object."), [*at, "params"]))
        return None
    declared_names = {p.name for p in declared.params}
    params: dict[str, Any] = {}
    before = len(errors)
    for key in sorted(set(raw) - declared_names):
        errors.append(err("UNKNOWN_PARAM", N_("{action} has no parameter {param}; it takes: {params}."),
                          [*at, "params", key], action=declared.name, param=key,
                          params=", ".join(sorted(declared_names)) or "-"))
    for param in declared.params:
        value = raw.get(param.name)
        if value is None:
            if param.required:
                errors.append(err("MISSING_PARAM", N_("{action} needs {param}."), [*at, "params", param.name],
                                  action=declared.name, param=param.name))
            continue
        try:
            params[param.name] = conditions.check_value(param, value, [*at, "params", param.name])
        except UserFacingError as exc:
            errors.append(exc)
    if len(errors) == before and declared.check is not None:
        try:
            await declared.check(tenant_id, params, [*at, "params"])
        except UserFacingError as exc:
            errors.append(exc)
    return {"action": declared.name, "params": params} if len(errors) == before else None
