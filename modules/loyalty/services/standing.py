"""Tier standing: what counts in the window, which tier that gives, and the progress towards the next.

A customer enters a tier when the window's total reaches its entry threshold and keeps the tier
they hold while the total stays at its retain threshold. Standing is reviewed when points are
earned or clawed back, never when they are spent: spending never demotes, a refund can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.functions import Min, Sum

from core.tenancy import scoped
from modules.loyalty.models import Account, Program, Qualifying, Tier
from modules.loyalty.services.tiers import program_tiers

YEAR = timedelta(days=365)


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


async def qualifying_total(program: Program, customer_id: int, now: datetime) -> tuple[int, datetime | None]:
    """The window's total (points or money, per the program) and when the oldest row counted leaves it."""
    start, _ = window(program, now)
    column = "points" if program.tier_basis == "points" else "money"
    rows = await scoped(Qualifying, program.tenant_id).filter(
        program_id=program.id, customer_id=customer_id, at__gt=start, at__lte=now).annotate(
        total=Sum(column), oldest=Min("at")).values("total", "oldest")
    row = rows[0] if rows else {}
    return int(row.get("total") or 0), row.get("oldest")


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
    total, _ = await qualifying_total(program, account.customer_id, now)
    current = next((t for t in tiers if t.id == account.tier_id), None)
    chosen = choose(tiers, current, total)
    if (chosen.id if chosen else None) != account.tier_id:
        account.tier_id = chosen.id if chosen else None
        account.tier_since = now
        await account.save(update_fields=["tier_id", "tier_since"])


@dataclass(frozen=True)
class Progress:
    total: int
    tier: Tier | None
    next_tier: Tier | None
    to_next: int | None  # what is missing to enter the next tier
    to_retain: int | None  # what is missing to keep the current tier (0: kept)
    period_end: datetime | None  # calendar year: its end; rolling: when the oldest counted row leaves


async def progress(program: Program, account: Account | None, customer_id: int, now: datetime) -> Progress:
    tiers = await program_tiers(program)
    total, oldest = await qualifying_total(program, customer_id, now)
    tier = next((t for t in tiers if account and t.id == account.tier_id), None)
    floor = tier.entry_threshold if tier else -1
    next_tier = next((t for t in tiers if t.entry_threshold > max(floor, total)), None)
    _, end = window(program, now)
    return Progress(total=total, tier=tier, next_tier=next_tier,
                    to_next=next_tier.entry_threshold - total if next_tier else None,
                    to_retain=max(tier.retain_threshold - total, 0) if tier else None,
                    period_end=end or (oldest + YEAR if oldest else None))
