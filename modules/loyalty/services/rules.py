"""Earning rules: checked whole before saving, audited; and what a rule pays for an order.

per_order pays `points` once; per_amount pays `points` for every `per` minor units of the basis
(the net goods or the gross total), rounded down, so 1 point per 100 cents pays 12 for 12.99;
per_unit pays `points` per unit bought. Below `min_amount` of the basis, nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, money, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.services import OrderSummary
from modules.loyalty.models import EarnRule, Program
from modules.loyalty.models.rule import BASES, EVENTS, MODES
from modules.loyalty.services.choices import choice, whole
from modules.loyalty.services.errors import loyalty_error
from modules.loyalty.services.programs import require_program

MAX_POINTS = 1_000_000
MAX_RULES = 100
FIELDS = ("event", "mode", "basis", "points", "per", "min_amount", "enabled")


@dataclass
class RuleInput:
    event: str
    mode: str
    points: int
    basis: str = "net"
    per: Decimal | str = "1"  # money units of the program's currency (per_amount)
    min_amount: Decimal | str = "0"
    enabled: bool = True


def _checked(program: Program, data: RuleInput) -> dict[str, Any]:
    errors: list[UserFacingError] = []
    per = validation.collect(errors, money.to_minor, data.per, program.currency, ["per"])
    min_amount = validation.collect(errors, money.to_minor, data.min_amount, program.currency, ["minAmount"])
    if data.event not in EVENTS:
        errors.append(loyalty_error("UNKNOWN_EVENT", N_("Unknown event {event}: choose one of {choices}."),
                                    ["event"], event=data.event, choices=", ".join(EVENTS)))
    choice(errors, data.mode, MODES, "mode")
    choice(errors, data.basis, BASES, "basis")
    if isinstance(data.points, int) and data.points == 0:
        errors.append(loyalty_error("ZERO_RATE", N_("A rule pays at least one point."), ["points"]))
    else:
        whole(errors, data.points, 1, MAX_POINTS, "points")
    if per is not None and per <= 0:
        errors.append(loyalty_error("ZERO_RATE", N_("A rule pays at least one point."), ["per"]))
    if min_amount is not None and min_amount < 0:
        errors.append(loyalty_error("NEGATIVE_AMOUNT", N_("The minimum amount cannot be negative."), ["minAmount"]))
    if errors:
        raise UserFacingErrors(errors)
    return {**{f: getattr(data, f) for f in FIELDS}, "per": per, "min_amount": min_amount}


def snapshot(rule: EarnRule) -> dict[str, Any]:
    return {f: getattr(rule, f) for f in FIELDS}


def points_for(rule: EarnRule, order: OrderSummary) -> int:
    amount = order.net if rule.basis == "net" else order.total
    if amount < rule.min_amount:
        return 0
    if rule.mode == "per_order":
        return rule.points
    if rule.mode == "per_unit":
        return order.quantity * rule.points
    return amount * rule.points // rule.per


async def get_rule(tenant_id: int, rule_id: int) -> EarnRule:
    rule = await scoped(EarnRule, tenant_id).filter(id=rule_id).select_for_update().first()
    if rule is None:
        raise loyalty_error("NOT_FOUND", N_("No such rule."), ["id"])
    return rule


async def create_rule(actor: Principal, data: RuleInput) -> EarnRule:
    tid = actor.tenant_id
    program = await require_program(tid)
    values = _checked(program, data)
    async with in_transaction():
        if await scoped(EarnRule, tid).filter(program_id=program.id).count() >= MAX_RULES:
            raise loyalty_error("TOO_MANY", N_("At most {max} rules."), ["event"], max=MAX_RULES)
        rule = await EarnRule.create(tenant_id=tid, program_id=program.id, **values)
        await audit.record(actor, tid, "loyalty.rule.create", "LoyaltyRule", rule.id, None, snapshot(rule))
    return rule


async def update_rule(actor: Principal, rule_id: int, data: RuleInput) -> EarnRule:
    values = _checked(await require_program(actor.tenant_id), data)
    async with in_transaction():
        rule = await get_rule(actor.tenant_id, rule_id)
        before = snapshot(rule)
        rule.update_from_dict(values)
        await rule.save()
        await audit.record(actor, actor.tenant_id, "loyalty.rule.update", "LoyaltyRule", rule.id, before,
                           snapshot(rule))
    return rule


async def delete_rule(actor: Principal, rule_id: int) -> None:
    """Points the rule paid stay; it pays no more."""
    async with in_transaction():
        rule = await get_rule(actor.tenant_id, rule_id)
        before = snapshot(rule)
        await rule.delete()
        await audit.record(actor, actor.tenant_id, "loyalty.rule.delete", "LoyaltyRule", rule_id, before, None)


def enabled_rules(program: Program, event: str) -> Any:
    return scoped(EarnRule, program.tenant_id).filter(program_id=program.id, event=event, enabled=True).order_by("id")
