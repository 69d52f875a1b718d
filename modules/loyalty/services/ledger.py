"""Writing the ledger: credits make lots, debits are allocated against lots, and both are keyed once.

Spending order: nearest expiry first, then the oldest, lots without expiry last. A debit that lots
do not cover keeps the rest as `unallocated` (a debt); the next credit pays debts off first.
Call everything here inside a transaction holding the account's lock (services/accounts.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.tenancy import scoped
from modules.loyalty.models import Account, Allocation, LedgerEntry, Lot


def spending_order(lots: Sequence[Lot]) -> list[Lot]:
    return sorted(lots, key=lambda lot: (lot.expires_at is None, lot.expires_at or lot.created_at, lot.created_at,
                                         lot.id))


async def open_lots(account: Account, *, usable_at: datetime | None = None) -> list[Lot]:
    """The account's lots with points left, in spending order; with `usable_at`, only those not pending then."""
    lots = await scoped(Lot, account.tenant_id).filter(program_id=account.program_id,
                                                       customer_id=account.customer_id, remaining__gt=0)
    if usable_at is not None:
        lots = [lot for lot in lots if lot.pending_until is None or lot.pending_until <= usable_at]
    return spending_order(lots)


async def existing(account: Account, kind: str, source_type: str, source_id: str, rule_key: int = 0
                   ) -> LedgerEntry | None:
    return await scoped(LedgerEntry, account.tenant_id).filter(
        program_id=account.program_id, source_type=source_type, source_id=source_id, rule_key=rule_key,
        kind=kind).first()


def _entry(account: Account, kind: str, points: int, source_type: str, source_id: str, now: datetime,
           rule_key: int, reason: str, actor_id: int | None) -> LedgerEntry:
    return LedgerEntry(tenant_id=account.tenant_id, program_id=account.program_id, customer_id=account.customer_id,
                       kind=kind, points=points, source_type=source_type, source_id=source_id, rule_key=rule_key,
                       reason=reason, actor_id=actor_id, created_at=now)


async def credit(account: Account, kind: str, points: int, source_type: str, source_id: str, now: datetime, *,
                 pending_until: datetime | None = None, expires_at: datetime | None = None, rule_key: int = 0,
                 reason: str = "", actor_id: int | None = None) -> LedgerEntry | None:
    """A positive entry and its lot; None when this key was credited before (nothing written)."""
    assert points > 0
    if await existing(account, kind, source_type, source_id, rule_key) is not None:
        return None
    entry = _entry(account, kind, points, source_type, source_id, now, rule_key, reason, actor_id)
    await entry.save()
    lot = await Lot.create(tenant_id=account.tenant_id, program_id=account.program_id,
                           customer_id=account.customer_id, entry_id=entry.id, amount=points, remaining=points,
                           pending_until=pending_until, expires_at=expires_at, created_at=now)
    await _pay_debts(account, lot)
    return entry


async def _pay_debts(account: Account, lot: Lot) -> None:
    debts = await scoped(LedgerEntry, account.tenant_id).filter(
        program_id=account.program_id, customer_id=account.customer_id, unallocated__gt=0).order_by("id")
    if not debts:
        return
    for debt in debts:
        if lot.remaining == 0:
            break
        take = min(lot.remaining, debt.unallocated)
        await Allocation.create(tenant_id=account.tenant_id, entry_id=debt.id, lot_id=lot.id, points=take)
        debt.unallocated -= take
        lot.remaining -= take
        await debt.save(update_fields=["unallocated"])
    await lot.save(update_fields=["remaining"])


async def debit(account: Account, kind: str, points: int, source_type: str, source_id: str, now: datetime,
                lots: Sequence[Lot], *, rule_key: int = 0, reason: str = "", actor_id: int | None = None
                ) -> LedgerEntry:
    """A negative entry of `points`, taken from `lots` in their order; what they lack stays as debt.
    The caller decides beforehand whether a debt is allowed (and checks the key is new)."""
    assert points > 0
    entry = _entry(account, kind, -points, source_type, source_id, now, rule_key, reason, actor_id)
    await entry.save()
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take <= 0:
            continue
        await Allocation.create(tenant_id=account.tenant_id, entry_id=entry.id, lot_id=lot.id, points=take)
        lot.remaining -= take
        left -= take
        await lot.save(update_fields=["remaining"])
    if left:
        entry.unallocated = left
        await entry.save(update_fields=["unallocated"])
    return entry


async def put_back(account: Account, debit_entry: LedgerEntry, source_type: str, source_id: str, now: datetime, *,
                   actor_id: int | None = None) -> LedgerEntry | None:
    """A REFUND entry giving a debit's points back to the lots they came from; lots that expired
    meanwhile keep nothing (those points would have expired). None when nothing could go back."""
    allocations = await scoped(Allocation, account.tenant_id).filter(entry_id=debit_entry.id, points__gt=0)
    lots = {lot.id: lot for lot in await scoped(Lot, account.tenant_id).filter(
        id__in=[a.lot_id for a in allocations]).select_for_update()}
    back = [(a, lots[a.lot_id]) for a in allocations
            if _open(lots[a.lot_id], now)]
    points = sum(a.points for a, _ in back)
    if points == 0:
        return None
    entry = _entry(account, "REFUND", points, source_type, source_id, now, 0, "", actor_id)
    await entry.save()
    for allocation, lot in back:
        await Allocation.create(tenant_id=account.tenant_id, entry_id=entry.id, lot_id=lot.id,
                                points=-allocation.points)
        lot.remaining += allocation.points
        await lot.save(update_fields=["remaining"])
    return entry


def _open(lot: Lot, now: datetime) -> bool:
    return lot.expires_at is None or lot.expires_at > now
