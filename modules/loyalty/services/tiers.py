"""Tiers: checked whole (no two tiers' bands from retain to entry threshold may overlap), audited."""

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
from modules.loyalty.models import Program, Tier
from modules.loyalty.services.choices import whole_number
from modules.loyalty.services.errors import loyalty_error
from modules.loyalty.services.programs import require_program

MAX_TIERS = 20
FIELDS = ("name", "entry_threshold", "retain_threshold")


@dataclass
class TierInput:
    """Thresholds are points, or amounts of the program's currency when tiers count money spent."""

    name: str
    entry_threshold: Decimal | str
    retain_threshold: Decimal | str | None = None  # None: the entry threshold


def _threshold(errors: list[UserFacingError], program: Program, value: Decimal | str, path: str) -> int | None:
    if program.tier_basis == "spend":
        found = validation.collect(errors, money.to_minor, value, program.currency, [path])
    else:
        found = whole_number(errors, value, path)
    if found is not None and found < 0:
        errors.append(loyalty_error("NEGATIVE_THRESHOLD", N_("A threshold cannot be negative."), [path]))
        return None
    return found


async def _checked(program: Program, data: TierInput, current: Tier | None = None) -> dict[str, Any]:
    errors: list[UserFacingError] = []
    name = data.name.strip()
    if not 1 <= len(name) <= 64:
        errors.append(loyalty_error("INVALID_NAME", N_("Give a name of 1 to {max} characters."), ["name"], max=64))
    entry = _threshold(errors, program, data.entry_threshold, "entryThreshold")
    retain = entry if data.retain_threshold is None else _threshold(errors, program, data.retain_threshold,
                                                                    "retainThreshold")
    if entry is None or retain is None:
        raise UserFacingErrors(errors)
    if retain > entry:
        errors.append(loyalty_error("RETAIN_ABOVE_ENTRY", N_("The retain threshold is at most the entry threshold."),
                                    ["retainThreshold"]))
    if not errors:
        others = scoped(Tier, program.tenant_id).filter(program_id=program.id)
        if current is not None:
            others = others.exclude(id=current.id)
        for other in await others:
            if other.name.lower() == name.lower():
                errors.append(loyalty_error("DUPLICATE_NAME", N_("Another tier is called {name}."), ["name"],
                                            name=name))
            if retain <= other.entry_threshold and other.retain_threshold <= entry:
                errors.append(loyalty_error("TIER_OVERLAP", N_("These thresholds overlap the tier {name}."),
                                            ["entryThreshold"], name=other.name))
                break
    if errors:
        raise UserFacingErrors(errors)
    return {"name": name, "entry_threshold": entry, "retain_threshold": retain}


def snapshot(tier: Tier) -> dict[str, Any]:
    return {f: getattr(tier, f) for f in FIELDS}


async def get_tier(tenant_id: int, tier_id: int) -> Tier:
    tier = await scoped(Tier, tenant_id).filter(id=tier_id).select_for_update().first()
    if tier is None:
        raise loyalty_error("NOT_FOUND", N_("No such tier."), ["id"])
    return tier


async def create_tier(actor: Principal, data: TierInput) -> Tier:
    tid = actor.tenant_id
    async with in_transaction():
        program = await require_program(tid)
        await scoped(Program, tid).filter(id=program.id).select_for_update().first()  # one tier change at a time
        values = await _checked(program, data)
        if await scoped(Tier, tid).filter(program_id=program.id).count() >= MAX_TIERS:
            raise loyalty_error("TOO_MANY", N_("At most {max} tiers."), ["name"], max=MAX_TIERS)
        tier = await Tier.create(tenant_id=tid, program_id=program.id, **values)
        await audit.record(actor, tid, "loyalty.tier.create", "LoyaltyTier", tier.id, None, snapshot(tier))
    return tier


async def update_tier(actor: Principal, tier_id: int, data: TierInput) -> Tier:
    tid = actor.tenant_id
    async with in_transaction():
        program = await require_program(tid)
        await scoped(Program, tid).filter(id=program.id).select_for_update().first()
        tier = await get_tier(tid, tier_id)
        values = await _checked(program, data, tier)
        before = snapshot(tier)
        tier.update_from_dict(values)
        await tier.save()
        await audit.record(actor, tid, "loyalty.tier.update", "LoyaltyTier", tier.id, before, snapshot(tier))
    return tier


async def delete_tier(actor: Principal, tier_id: int) -> None:
    """Its members have no tier until their next earning or refund places them."""
    async with in_transaction():
        tier = await get_tier(actor.tenant_id, tier_id)
        before = snapshot(tier)
        await tier.delete()
        await audit.record(actor, actor.tenant_id, "loyalty.tier.delete", "LoyaltyTier", tier_id, before, None)


async def program_tiers(program: Program) -> list[Tier]:
    """Lowest first."""
    return await scoped(Tier, program.tenant_id).filter(program_id=program.id).order_by("entry_threshold", "id")
