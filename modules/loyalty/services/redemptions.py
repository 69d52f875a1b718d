"""Redemption in two phases: reserve points (a REDEEM entry from usable lots), then confirm with
the reward code (services/codes.py), or release them (a REFUND entry back to the same lots).

Only usable points can be reserved: pending ones cannot, and a debt blocks redemption.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.services import get_customer
from modules.loyalty.models import Account, LedgerEntry, Redemption
from modules.loyalty.services.accounts import locked_account
from modules.loyalty.services.codes import issuer
from modules.loyalty.services.errors import loyalty_error
from modules.loyalty.services.ledger import debit, open_lots, put_back
from modules.loyalty.services.programs import require_program
from modules.loyalty.services.sums import total

MAX_REDEEM = 10_000_000
SOURCE = "redemption"


async def debt(account: Account) -> int:
    return await total(scoped(LedgerEntry, account.tenant_id).filter(
        program_id=account.program_id, customer_id=account.customer_id, unallocated__gt=0), "unallocated")


def _snapshot(r: Redemption) -> dict[str, object]:
    return {"points": r.points, "status": r.status, "code": r.code, "customer": r.customer_id}


async def reserve_points(actor: Principal, customer_id: int, points: int, now: datetime | None = None) -> Redemption:
    now = now or datetime.now(UTC)
    tid = actor.tenant_id
    if not 1 <= points <= MAX_REDEEM:
        raise loyalty_error("INVALID_POINTS", N_("Give a number of points from 1 to {max}."), ["points"],
                            max=MAX_REDEEM)
    program = await require_program(tid)
    await get_customer(tid, customer_id)
    async with in_transaction():
        account = await locked_account(program, customer_id)
        if await debt(account):
            raise loyalty_error("IN_DEBT", N_("The customer owes points from a refund: nothing can be redeemed."),
                                ["customerId"])
        usable = await open_lots(account, usable_at=now)
        available = sum(lot.remaining for lot in usable)
        if points > available:
            raise loyalty_error("INSUFFICIENT_POINTS", N_("Only {available} points can be redeemed now."),
                                ["points"], available=available)
        entry = await debit(account, "REDEEM", points, SOURCE, uuid.uuid4().hex, now, usable,
                            actor_id=actor.user_id)
        redemption = await Redemption.create(tenant_id=tid, program_id=program.id, customer_id=customer_id,
                                             entry_id=entry.id, points=points)
        account.last_activity_at = now
        await account.save(update_fields=["last_activity_at"])
        await audit.record(actor, tid, "loyalty.redemption.reserve", "Redemption", redemption.id, None,
                           _snapshot(redemption))
    return redemption


async def _reserved(tenant_id: int, redemption_id: int) -> Redemption:
    redemption = await scoped(Redemption, tenant_id).filter(id=redemption_id).select_for_update().first()
    if redemption is None:
        raise loyalty_error("NOT_FOUND", N_("No such redemption."), ["id"])
    if redemption.status != "reserved":
        raise loyalty_error("NOT_RESERVED", N_("This redemption is {status} already."), ["id"],
                            status=redemption.status)
    return redemption


async def confirm_redemption(actor: Principal, redemption_id: int, code: str | None,
                             now: datetime | None = None) -> Redemption:
    async with in_transaction():
        redemption = await _reserved(actor.tenant_id, redemption_id)
        before = _snapshot(redemption)
        redemption.code = await issuer(redemption.issuer).issue(redemption, code)
        redemption.status = "confirmed"
        redemption.settled_at = now or datetime.now(UTC)
        await redemption.save(update_fields=["code", "status", "settled_at"])
        await audit.record(actor, actor.tenant_id, "loyalty.redemption.confirm", "Redemption", redemption.id, before,
                           _snapshot(redemption))
    return redemption


async def release_redemption(actor: Principal, redemption_id: int, now: datetime | None = None) -> Redemption:
    now = now or datetime.now(UTC)
    async with in_transaction():
        redemption = await _reserved(actor.tenant_id, redemption_id)
        program = await require_program(actor.tenant_id)
        account = await locked_account(program, redemption.customer_id)
        entry = await scoped(LedgerEntry, actor.tenant_id).get(id=redemption.entry_id)
        await put_back(account, entry, SOURCE, entry.source_id, now, actor_id=actor.user_id)
        before = _snapshot(redemption)
        redemption.status = "released"
        redemption.settled_at = now
        await redemption.save(update_fields=["status", "settled_at"])
        await audit.record(actor, actor.tenant_id, "loyalty.redemption.release", "Redemption", redemption.id, before,
                           _snapshot(redemption))
    return redemption
