"""Expiry, run by a cron job: per_lot expires what is left of each due lot; inactivity expires a
whole balance N days after the last earning or spending (counted from when expiry was switched on).

Idempotent: a lot's expiry is keyed on the lot, an inactivity expiry on the account and the
activity it follows, so a second run (or two at once, serialised by the account's lock) writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.tenancy import scoped
from modules.loyalty.models import Account, Lot, Program
from modules.loyalty.services.accounts import locked_account
from modules.loyalty.services.ledger import debit, existing, open_lots

BATCH = 500


async def _expire_lot(program: Program, lot_id: int, customer_id: int, now: datetime) -> int:
    async with in_transaction():
        account = await locked_account(program, customer_id)
        lot = await scoped(Lot, program.tenant_id).filter(id=lot_id).first()
        if lot is None or lot.remaining <= 0 or await existing(account, "EXPIRE", "lot", str(lot.id)):
            return 0
        points = lot.remaining
        await debit(account, "EXPIRE", points, "lot", str(lot.id), now, [lot])
        return points


async def _expire_inactive(program: Program, customer_id: int, now: datetime) -> int:
    async with in_transaction():
        account = await locked_account(program, customer_id)
        since = _clock(program, account)
        if since is None or since > now - timedelta(days=program.expiry_days):
            return 0
        key = f"{account.id}:{since.isoformat()}"
        lots = await open_lots(account)
        points = sum(lot.remaining for lot in lots)
        if points <= 0 or await existing(account, "EXPIRE", "inactivity", key):
            return 0
        await debit(account, "EXPIRE", points, "inactivity", key, now, lots)
        return points


def _clock(program: Program, account: Account) -> datetime | None:
    started = program.expiry_started_at
    if started is None:
        return None
    return max(account.last_activity_at or started, started)


async def expire_program(program: Program, now: datetime | None = None) -> int:
    """Points expired now in this program."""
    now = now or datetime.now(UTC)
    expired = 0
    if program.expiry_policy == "per_lot":
        while True:  # a lot expired leaves the due set: the next batch is the next lots
            due: list[Any] = await scoped(Lot, program.tenant_id).filter(
                program_id=program.id, remaining__gt=0, expires_at__lte=now).order_by("expires_at", "id") \
                .limit(BATCH).values_list("id", "customer_id")
            done = [await _expire_lot(program, int(lot_id), int(customer_id), now) for lot_id, customer_id in due]
            expired += sum(done)
            if len(due) < BATCH or not any(done):
                break
    elif program.expiry_policy == "inactivity" and program.expiry_started_at is not None:
        cutoff = now - timedelta(days=program.expiry_days)
        if program.expiry_started_at <= cutoff:
            last = 0
            while True:  # every inactive account, a batch at a time
                page: list[Any] = await scoped(Account, program.tenant_id).filter(
                    program_id=program.id, id__gt=last).filter(
                    Q(last_activity_at__lte=cutoff) | Q(last_activity_at=None)).order_by("id").limit(BATCH) \
                    .values_list("id", "customer_id")
                for account_id, customer_id in page:
                    last = int(account_id)
                    expired += await _expire_inactive(program, int(customer_id), now)
                if len(page) < BATCH:
                    break
    return expired


async def expire_due(now: datetime | None = None) -> dict[int, int]:
    """Every program with expiry on, one tenant at a time: {tenant id: points expired}."""
    programs = await Program.filter(enabled=True).exclude(expiry_policy="none").order_by("id")
    return {p.tenant_id: await expire_program(p, now) for p in programs}
