"""The automation interface: what a module declares so that tenants' rules can act on its events.

A module lists its triggers and actions in `Module.automation` ("package.module:attr", an
`AutomationContribution`). A trigger is an event topic the module emits plus the fields its payload
carries, each with a type, so a rule's conditions are checked when it is saved (core/conditions.py);
`subjects` says which payload key holds the id of each thing the event is about (its customer, its
ticket), so an action on that thing applies. An action is a name, its typed parameters and an async
function that runs it in the firing's transaction. Runtime.start collects the installed modules'
declarations (`install`); the automation module owns rules, firings and the handler that fires them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from core.registry import Module, RegistryError

FieldType = Literal["string", "number", "boolean", "datetime", "money", "enum", "list", "node"]


@dataclass(frozen=True)
class Field:
    """One value of an event's payload (or one parameter of an action); `label` is an English msgid
    of the declaring module. `key` is where the payload holds it (default: `name`); a money field is
    an integer of minor units at `key` and its currency at `currency_key`. `choices` lists an enum's
    values; a `node` (action parameters only) is the global ID of a `node_type` ("User")."""

    name: str
    type: FieldType
    label: str = ""
    choices: tuple[str, ...] = ()
    key: str = ""
    currency_key: str = "currency"
    node_type: str = ""
    required: bool = True  # action parameters: must be given

    @property
    def payload_key(self) -> str:
        return self.key or self.name


@dataclass(frozen=True)
class Trigger:
    """An event rules can fire on: `event` is the outbox topic ("crm.order.status_changed")."""

    event: str
    label: str
    fields: Sequence[Field]
    subjects: Mapping[str, str] = field(default_factory=dict)  # "customer" -> "customer_id"
    module: str = field(default="", compare=False)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class ActionRun:
    """What an action gets when a rule fires: the tenant, the id of its subject (the event's
    customer, ticket...), the event's payload and the rule, for audit and events."""

    tenant_id: int
    subject_id: int
    data: Mapping[str, Any]
    rule_id: int


# Runs the action with its checked parameters inside the firing's transaction; raises
# core.errors.UserFacingError when it cannot (the firing then records that code, its effects undone).
Runner = Callable[[ActionRun, Mapping[str, Any]], Awaitable[None]]
# Checks the parameters against the tenant when a rule is saved (a tag that must exist, a user who
# must be a member); raises UserFacingError at `path`. Types are checked before, by the core.
ParamCheck = Callable[[int, Mapping[str, Any], Sequence[str]], Awaitable[None]]


@dataclass(frozen=True)
class Action:
    """Something a rule does to its event's `subject` ("customer", "ticket")."""

    name: str  # "<module>.<verb>", unique across modules
    label: str
    subject: str
    params: Sequence[Field]
    run: Runner
    check: ParamCheck | None = None
    subject_type: str = ""  # the Node type of its subject ("Customer"): the API shows it by global ID
    module: str = field(default="", compare=False)


@dataclass(frozen=True)
class AutomationContribution:
    triggers: Sequence[Trigger] = ()
    actions: Sequence[Action] = ()


@dataclass(frozen=True)
class Catalog:
    """Every installed module's triggers (by event) and actions (by name)."""

    triggers: Mapping[str, Trigger] = field(default_factory=dict)
    actions: Mapping[str, Action] = field(default_factory=dict)


_catalog = Catalog()


def collect(modules: Iterable[Module]) -> Catalog:
    """The installed modules' declarations; an event or action two modules declare is an error naming
    both, and so is an action whose name is not the module's ("crm.add_tag" belongs to crm)."""
    triggers: dict[str, Trigger] = {}
    actions: dict[str, Action] = {}
    for module in modules:
        contribution = module.load_automation() or AutomationContribution()
        for trigger in contribution.triggers:
            if trigger.event in triggers:
                raise RegistryError(f"trigger {trigger.event!r} is declared by both "
                                    f"{triggers[trigger.event].module!r} and {module.name!r}")
            triggers[trigger.event] = replace(trigger, module=module.name)
        for action in contribution.actions:
            if not action.name.startswith(f"{module.name}."):
                raise RegistryError(f"module {module.name!r} declares action {action.name!r}: action names "
                                    f"must start with '{module.name}.'")
            if action.name in actions:
                raise RegistryError(f"action {action.name!r} is declared by both "
                                    f"{actions[action.name].module!r} and {module.name!r}")
            actions[action.name] = replace(action, module=module.name)
    return Catalog(triggers, actions)


def install(catalog: Catalog) -> None:
    """Make these the process's declarations (Runtime.start; a test adds its own the same way)."""
    global _catalog
    _catalog = catalog


def catalog() -> Catalog:
    return _catalog


def trigger(event: str) -> Trigger | None:
    return _catalog.triggers.get(event)


def action(name: str) -> Action | None:
    return _catalog.actions.get(name)
