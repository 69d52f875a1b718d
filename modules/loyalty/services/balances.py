"""What a customer holds: all read from the ledger and the lots, never from a stored counter.

balance = the sum of the ledger's signed entries; pending = what waits in lots not yet usable;
available = balance - pending (below zero while a debt is owed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.tenancy import scoped
from modules.loyalty.models import Account, LedgerEntry, Lot, Program
from modules.loyalty.services.sums import total as sum_of


@dataclass(frozen=True)
class Balance:
    balance: int
    pending: int
    available: int
    lifetime: int  # every point earned, before clawbacks
    next_expiry_at: datetime | None
    next_expiry_points: int


async def balance_of(program: Program, account: Account | None, customer_id: int, now: datetime) -> Balance:
    tid = program.tenant_id
    entries = scoped(LedgerEntry, tid).filter(program_id=program.id, customer_id=customer_id)
    total = await sum_of(entries, "points")
    lifetime = await sum_of(entries.filter(kind="EARN"), "points")
    lots = await scoped(Lot, tid).filter(program_id=program.id, customer_id=customer_id, remaining__gt=0)
    pending = sum(lot.remaining for lot in lots if lot.pending_until is not None and lot.pending_until > now)
    at, points = None, 0
    if program.expiry_policy == "per_lot":
        dated = [lot for lot in lots if lot.expires_at is not None]
        if dated:
            at = min(lot.expires_at for lot in dated if lot.expires_at is not None)
            points = sum(lot.remaining for lot in dated if lot.expires_at == at)
    elif program.expiry_policy == "inactivity" and program.expiry_started_at is not None and lots:
        since = max(account.last_activity_at or program.expiry_started_at, program.expiry_started_at) \
            if account else program.expiry_started_at
        at, points = since + timedelta(days=program.expiry_days), sum(lot.remaining for lot in lots)
    return Balance(balance=total, pending=pending, available=total - pending, lifetime=lifetime,
                   next_expiry_at=at, next_expiry_points=points)
