"""The tenant's points program: set up or changed in one call, checked whole, audited.

Switching expiry on starts its clock then: lots earned before get their N days from that moment,
never a date in the past. The currency is fixed once points were earned in it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.loyalty.models import LedgerEntry, Lot, Program, Tier
from modules.loyalty.models.program import EXPIRY_POLICIES, NEGATIVE_POLICIES, TIER_BASES, TIER_WINDOWS
from modules.loyalty.services.choices import choice, whole
from modules.loyalty.services.errors import loyalty_error

MAX_PENDING_DAYS = 365
MAX_EXPIRY_DAYS = 3650


@dataclass
class ProgramInput:
    currency: str
    name: str = ""
    pending_days: int = 0
    expiry_policy: str = "none"
    expiry_days: int = 0
    negative_policy: str = "debt"
    tier_basis: str = "points"
    tier_window: str = "rolling_12m"
    enabled: bool = True


def _checked(data: ProgramInput) -> dict[str, Any]:
    errors: list[UserFacingError] = []
    currency = validation.collect(errors, validation.currency, data.currency, ["currency"])
    whole(errors, data.pending_days, 0, MAX_PENDING_DAYS, "pendingDays")
    choice(errors, data.expiry_policy, EXPIRY_POLICIES, "expiryPolicy")
    if data.expiry_policy != "none":
        whole(errors, data.expiry_days, 1, MAX_EXPIRY_DAYS, "expiryDays")
    choice(errors, data.negative_policy, NEGATIVE_POLICIES, "negativePolicy")
    choice(errors, data.tier_basis, TIER_BASES, "tierBasis")
    choice(errors, data.tier_window, TIER_WINDOWS, "tierWindow")
    name = data.name.strip()
    if len(name) > 100:
        errors.append(loyalty_error("TOO_LONG", N_("At most {max} characters."), ["name"], max=100))
    if errors:
        raise UserFacingErrors(errors)
    values = {**asdict(data), "currency": currency, "name": name}
    if data.expiry_policy == "none":
        values["expiry_days"] = 0
    return values


def snapshot(program: Program) -> dict[str, Any]:
    return {f: getattr(program, f) for f in ("currency", "name", "pending_days", "expiry_policy", "expiry_days",
                                             "negative_policy", "tier_basis", "tier_window", "enabled")}


async def get_program(tenant_id: int, *, lock: bool = False) -> Program | None:
    query = scoped(Program, tenant_id).filter(kind="points")
    return await (query.select_for_update() if lock else query).first()


async def require_program(tenant_id: int) -> Program:
    program = await get_program(tenant_id)
    if program is None:
        raise loyalty_error("NO_PROGRAM", N_("Set up the loyalty program first."))
    return program


async def set_program(actor: Principal, data: ProgramInput, now: datetime | None = None) -> Program:
    """Create the tenant's program or change it."""
    values = _checked(data)
    tid = actor.tenant_id
    now = now or datetime.now(UTC)
    async with in_transaction():
        program = await get_program(tid, lock=True)
        before = snapshot(program) if program else None
        if program is None:
            program = Program(tenant_id=tid, kind="points")
        elif program.currency != values["currency"] and await scoped(LedgerEntry, tid).filter(
                program_id=program.id).exists():
            raise loyalty_error("CURRENCY_LOCKED", N_("Points were earned in {currency}: the currency stays."),
                                ["currency"], currency=program.currency)
        if before is not None and before["tier_basis"] != values["tier_basis"] and await scoped(Tier, tid).filter(
                program_id=program.id).exists():
            raise loyalty_error("TIERS_EXIST", N_("Delete the tiers before changing what they count."),
                                ["tierBasis"])
        switched_on = values["expiry_policy"] != "none" and (before is None or
                                                              before["expiry_policy"] != values["expiry_policy"])
        program.update_from_dict(values)
        if switched_on:
            program.expiry_started_at = now
        elif values["expiry_policy"] == "none":
            program.expiry_started_at = None
        await program.save()
        if switched_on and program.expiry_policy == "per_lot":
            await scoped(Lot, tid).filter(program_id=program.id, expires_at=None, remaining__gt=0).update(
                expires_at=now + timedelta(days=program.expiry_days))
        elif program.expiry_policy != "per_lot":
            await scoped(Lot, tid).filter(program_id=program.id).exclude(expires_at=None).update(expires_at=None)
        await audit.record(actor, tid, "loyalty.program.set", "LoyaltyProgram", program.id, before, snapshot(program))
    return program
