"""Priority computed from the tenant's rules, and the rules themselves (create, update, reorder).

`compute` is called by the ticket services when a ticket is created (and when its order or text
changes) unless an agent set the priority by hand (`priority_overridden`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.auth.principal import Principal
from core.errors import UserFacingError
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import PriorityRule, Ticket
from modules.aftersales.models.ticket import PRIORITIES
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.routing import conditions as rules
from modules.aftersales.services.routing.conditions import UNSET, RuleTable

TABLE = RuleTable(PriorityRule, "priority_rule", ("name", "position", "conditions", "priority", "active"))


async def compute(ticket: Ticket, text: str) -> str | None:
    """The priority the first matching rule gives (low, normal, high, urgent), or None."""
    active = await scoped(PriorityRule, ticket.tenant_id).filter(active=True).order_by("position", "id")
    if not active:
        return None
    facts = await rules.facts(ticket, text)
    return next((r.priority for r in active if rules.matches(r.conditions, facts)), None)


@dataclass
class PriorityRuleInput:
    """Fields to set; UNSET leaves a field as it is (on update)."""

    name: Any = UNSET
    conditions: Any = UNSET  # ConditionsInput | None
    priority: Any = UNSET
    active: Any = UNSET


def _checked(given: PriorityRuleInput) -> tuple[dict[str, Any], list[UserFacingError]]:
    values, errors = rules.common_values(given)
    if given.priority is not UNSET:
        if given.priority not in PRIORITIES:
            errors.append(err("INVALID_PRIORITY", N_("Unknown priority {value}: use low, normal, high or urgent."),
                              ["priority"], value=given.priority))
        values["priority"] = given.priority
    return values, errors


async def create_rule(actor: Principal, given: PriorityRuleInput) -> PriorityRule:
    return await TABLE.create(actor, *_checked(given))


async def update_rule(actor: Principal, rule_id: int, given: PriorityRuleInput) -> PriorityRule:
    return await TABLE.update(actor, rule_id, *_checked(given))


async def delete_rule(actor: Principal, rule_id: int) -> None:
    await TABLE.delete(actor, rule_id)


async def reorder_rules(actor: Principal, ids: list[int]) -> list[PriorityRule]:
    return await TABLE.reorder(actor, ids)
