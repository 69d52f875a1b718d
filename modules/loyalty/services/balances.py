"""What customers hold: all read from the ledger and the lots, never from a stored counter.

balance = the sum of the ledger's signed entries; pending = what waits in lots not yet usable;
available = balance - pending (below zero while a debt is owed). Read for many customers at once
in a fixed number of queries (a page of customers asks for each one's points).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.functions import Sum

from core.tenancy import scoped
from modules.loyalty.models import Account, LedgerEntry, Lot, Program


@dataclass(frozen=True)
class Balance:
    balance: int
    pending: int
    available: int
    lifetime: int  # every point earned, before clawbacks
    next_expiry_at: datetime | None
    next_expiry_points: int


async def _sums(program: Program, customer_ids: Sequence[int], **where: object) -> dict[int, int]:
    rows = await scoped(LedgerEntry, program.tenant_id).filter(
        program_id=program.id, customer_id__in=customer_ids, **where).annotate(total=Sum("points")) \
        .group_by("customer_id").values("customer_id", "total")
    return {int(r["customer_id"]): int(r["total"] or 0) for r in rows}


def _next_expiry(program: Program, account: Account | None, lots: list[Lot]) -> tuple[datetime | None, int]:
    if program.expiry_policy == "per_lot":
        dated = [(lot.expires_at, lot.remaining) for lot in lots if lot.expires_at is not None]
        if dated:
            at = min(when for when, _ in dated)
            return at, sum(points for when, points in dated if when == at)
    elif program.expiry_policy == "inactivity" and program.expiry_started_at is not None and lots:
        started = program.expiry_started_at
        since = max(account.last_activity_at or started, started) if account else started
        return since + timedelta(days=program.expiry_days), sum(lot.remaining for lot in lots)
    return None, 0


async def balances_of(program: Program, customer_ids: Sequence[int], now: datetime) -> dict[int, Balance]:
    """Every given customer's balance (zeros for one who never had points). Four queries."""
    tid = program.tenant_id
    totals = await _sums(program, customer_ids)
    lifetimes = await _sums(program, customer_ids, kind="EARN")
    lots: dict[int, list[Lot]] = defaultdict(list)
    for lot in await scoped(Lot, tid).filter(program_id=program.id, customer_id__in=customer_ids, remaining__gt=0):
        lots[lot.customer_id].append(lot)
    accounts = {a.customer_id: a for a in await scoped(Account, tid).filter(program_id=program.id,
                                                                            customer_id__in=customer_ids)}
    found = {}
    for customer_id in customer_ids:
        held = lots.get(customer_id, [])
        total = totals.get(customer_id, 0)
        pending = sum(lot.remaining for lot in held if lot.pending_until is not None and lot.pending_until > now)
        at, points = _next_expiry(program, accounts.get(customer_id), held)
        found[customer_id] = Balance(balance=total, pending=pending, available=total - pending,
                                     lifetime=lifetimes.get(customer_id, 0), next_expiry_at=at,
                                     next_expiry_points=points)
    return found


async def balance_of(program: Program, customer_id: int, now: datetime) -> Balance:
    return (await balances_of(program, [customer_id], now))[customer_id]
