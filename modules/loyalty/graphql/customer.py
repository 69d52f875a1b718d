"""Customer.loyalty: balance, pending, lifetime, next expiry, tier and progress, and the history."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from core.graphql.loaders import loader_by_key
from core.graphql.pagination import Connection, Ordering, page_size, paginate
from core.graphql.permissions import check
from core.tenancy import scoped
from modules.crm.graphql.types import CustomerType
from modules.loyalty.graphql.types import POINTS_READ, LoyaltyEntryType, LoyaltyTierType, threshold
from modules.loyalty.models import LedgerEntry, Program
from modules.loyalty.services import Balance, balances_of, get_program
from modules.loyalty.services.standing import Progress, progress_of


@strawberry.type(name="LoyaltyExpiry")
class ExpiryType:
    at: datetime
    points: int


@strawberry.type(name="LoyaltyTierProgress")
class ProgressType:
    total: Decimal = strawberry.field(description="What counts in the window: points earned or money spent.")
    next_tier: LoyaltyTierType | None
    to_next_tier: Decimal | None = strawberry.field(description="Missing to enter the next tier.")
    to_retain: Decimal | None = strawberry.field(description="Missing to keep the current tier (0: kept).")
    period_end: datetime | None = strawberry.field(description="Calendar year: its end. Rolling 12 months: when "
                                                               "the oldest counted purchase leaves the window.")
    read_permission = POINTS_READ


@strawberry.type(name="CustomerLoyalty")
class CustomerLoyaltyType:
    customer_id: strawberry.Private[int]
    program: strawberry.Private[Program]
    balance: int = strawberry.field(description="The sum of the ledger, pending points included.")
    available: int = strawberry.field(description="What can be redeemed now: below zero while a debt is owed.")
    pending: int = strawberry.field(description="Earned, usable once the pending days have passed.")
    lifetime: int = strawberry.field(description="Every point earned.")
    next_expiry: ExpiryType | None
    tier: LoyaltyTierType | None
    progress: ProgressType
    read_permission = POINTS_READ

    @strawberry.field(description="The ledger, newest first.")
    async def history(self, info: Info, first: int | None = None, after: str | None = None
                      ) -> Connection[LoyaltyEntryType]:
        ctx = info.context
        s = ctx.rt.settings
        query = scoped(LedgerEntry, ctx.tenant_id).filter(program_id=self.program.id, customer_id=self.customer_id)
        return await paginate(query, first=page_size(first, s.default_page_size, s.max_page_size, ctx.locale),
                              after=after, ordering=Ordering("id", descending=True),
                              to_node=LoyaltyEntryType.from_row, locale=ctx.locale)


def _amount(program: Program, value: int | None) -> Decimal | None:
    return None if value is None else threshold(value, program.currency if program.tier_basis == "spend" else None)


def _view(program: Program, customer_id: int, held: Balance, standing: Progress) -> CustomerLoyaltyType:
    return CustomerLoyaltyType(
        customer_id=customer_id, program=program, balance=held.balance, available=held.available,
        pending=held.pending, lifetime=held.lifetime,
        next_expiry=ExpiryType(at=held.next_expiry_at, points=held.next_expiry_points)
        if held.next_expiry_at else None,
        tier=LoyaltyTierType.of(standing.tier, program) if standing.tier else None,
        progress=ProgressType(
            total=_amount(program, standing.total) or Decimal(0),
            next_tier=LoyaltyTierType.of(standing.next_tier, program) if standing.next_tier else None,
            to_next_tier=_amount(program, standing.to_next), to_retain=_amount(program, standing.to_retain),
            period_end=standing.period_end))


async def _loyalty_of(tenant_id: int, customer_ids: list[int]) -> dict[int, CustomerLoyaltyType]:
    """A page of customers' points and standing in a fixed number of queries (none without a program)."""
    program = await get_program(tenant_id)
    if program is None:
        return {}
    now = datetime.now(UTC)
    held = await balances_of(program, customer_ids, now)
    standing = await progress_of(program, customer_ids, now)
    return {c: _view(program, c, held[c], standing[c]) for c in customer_ids}


@strawberry.type
class CustomerLoyaltyFields:
    @strawberry.field(description="Points, tier and history; null without a program. Needs loyalty.points:read.")
    async def loyalty(self, info: Info) -> CustomerLoyaltyType | None:
        await check(info, *POINTS_READ)
        customer: CustomerType = self  # type: ignore[assignment]
        return await loader_by_key(info, "loyalty.customer", _loyalty_of).load(customer.id)
