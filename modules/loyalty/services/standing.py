"""Tier standing: what counts in the window, which tier that gives, and the progress towards the next.

A customer enters a tier when the window's total reaches its entry threshold and keeps the tier
they hold while the total stays at its retain threshold. Standing is reviewed when points are
earned or clawed back, and daily as orders leave the window; never when points are spent:
spending never demotes, a refund (or time) can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.functions import Min, Sum
from tortoise.transactions import in_transaction

from core.tenancy import scoped
from modules.loyalty.models import Account, Program, Qualifying, Tier
from modules.loyalty.services.accounts import locked_account
from modules.loyalty.services.tiers import program_tiers

YEAR = timedelta(days=365)
BATCH = 500


def window(program: Program, now: datetime) -> tuple[datetime, datetime | None]:
    """(start, end) of the window counting now; rolling windows have no fixed end."""
    if program.tier_window == "calendar_year":
        return datetime(now.year, 1, 1, tzinfo=UTC), datetime(now.year + 1, 1, 1, tzinfo=UTC)
    return now - YEAR, None


async def record(account: Account, source_type: str, source_id: str, points: int, money: int, at: datetime) -> None:
    """What an order or a refund counts towards tiers (once per source)."""
    if not await scoped(Qualifying, account.tenant_id).filter(program_id=account.program_id, source_type=source_type,
                                                              source_id=source_id).exists():
        await Qualifying.create(tenant_id=account.tenant_id, program_id=account.program_id,
                                customer_id=account.customer_id, source_type=source_type, source_id=source_id,
                                points=points, money=money, at=at)


async def _totals(program: Program, customer_ids: Sequence[int], start: datetime, end: datetime
                  ) -> dict[int, tuple[int, datetime | None]]:
    column = "points" if program.tier_basis == "points" else "money"
    rows = await scoped(Qualifying, program.tenant_id).filter(
        program_id=program.id, customer_id__in=customer_ids, at__gte=start, at__lte=end).annotate(
        total=Sum(column), oldest=Min("at")).group_by("customer_id").values("customer_id", "total", "oldest")
    return {int(r["customer_id"]): (int(r["total"] or 0), r["oldest"]) for r in rows}


async def qualifying_totals(program: Program, customer_ids: Sequence[int], now: datetime
                            ) -> dict[int, tuple[int, datetime | None]]:
    """Per customer, the window's total (points or money, per the program) and the oldest row counted.
    A calendar-year program counts this year or the last one, whichever is more: a tier reached in
    one year lasts through the next (one query more)."""
    start, _ = window(program, now)
    found = await _totals(program, customer_ids, start, now)
    if program.tier_window == "calendar_year":
        last_year = await _totals(program, customer_ids, start.replace(year=start.year - 1),
                                  start - timedelta(microseconds=1))
        for customer_id, (total, oldest) in last_year.items():
            if total > found.get(customer_id, (0, None))[0]:
                found[customer_id] = (total, oldest)
    return found


async def qualifying_total(program: Program, customer_id: int, now: datetime) -> int:
    return (await qualifying_totals(program, [customer_id], now)).get(customer_id, (0, None))[0]


def choose(tiers: list[Tier], current: Tier | None, total: int) -> Tier | None:
    reached = [t for t in tiers if t.entry_threshold <= total]
    best = reached[-1] if reached else None
    if current is not None and total >= current.retain_threshold and (
            best is None or best.entry_threshold < current.entry_threshold):
        return current
    return best


async def review(program: Program, account: Account, now: datetime) -> None:
    """Place the locked account in the tier its window's total gives."""
    tiers = await program_tiers(program)
    total = await qualifying_total(program, account.customer_id, now)
    current = next((t for t in tiers if t.id == account.tier_id), None)
    chosen = choose(tiers, current, total)
    if (chosen.id if chosen else None) != account.tier_id:
        account.tier_id = chosen.id if chosen else None
        account.tier_since = now
        await account.save(update_fields=["tier_id", "tier_since"])


async def review_program(program: Program, now: datetime | None = None) -> int:
    """Review every account holding a tier (orders leave the window as time passes, without any
    event); how many changed. Run by a daily cron job."""
    now = now or datetime.now(UTC)
    changed, last = 0, 0
    while True:
        page: list[Any] = await scoped(Account, program.tenant_id).filter(
            program_id=program.id, id__gt=last).exclude(tier_id=None).order_by("id").limit(BATCH) \
            .values_list("id", "customer_id", "tier_id")
        for account_id, customer_id, tier_id in page:
            last = int(account_id)
            async with in_transaction():
                account = await locked_account(program, int(customer_id))
                await review(program, account, now)
                changed += account.tier_id != tier_id
        if len(page) < BATCH:
            return changed


@dataclass(frozen=True)
class Progress:
    total: int
    tier: Tier | None
    next_tier: Tier | None
    to_next: int | None  # what is missing to enter the next tier
    to_retain: int | None  # what is missing to keep the current tier (0: kept)
    period_end: datetime | None  # calendar year: its end; rolling: when the oldest counted row leaves


async def progress_of(program: Program, customer_ids: Sequence[int], now: datetime) -> dict[int, Progress]:
    """Every given customer's standing. Three queries."""
    tiers = await program_tiers(program)
    totals = await qualifying_totals(program, customer_ids, now)
    held = dict(await scoped(Account, program.tenant_id).filter(program_id=program.id, customer_id__in=customer_ids)
                .values_list("customer_id", "tier_id"))
    _, end = window(program, now)
    found = {}
    for customer_id in customer_ids:
        total, oldest = totals.get(customer_id, (0, None))
        tier = next((t for t in tiers if t.id == held.get(customer_id)), None)
        floor = tier.entry_threshold if tier else -1
        next_tier = next((t for t in tiers if t.entry_threshold > max(floor, total)), None)
        found[customer_id] = Progress(
            total=total, tier=tier, next_tier=next_tier,
            to_next=next_tier.entry_threshold - total if next_tier else None,
            to_retain=max(tier.retain_threshold - total, 0) if tier else None,
            period_end=end or (oldest + YEAR if oldest else None))
    return found
