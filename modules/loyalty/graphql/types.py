"""GraphQL types of loyalty: the program, its rules and tiers, ledger entries and redemptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.graphql.node import ScopedNode
from core.money import to_decimal
from core.tenancy import scoped
from modules.loyalty import models

PROGRAM_READ = ("loyalty.program", "read")
POINTS_READ = ("loyalty.points", "read")


class ProgramNode(ScopedNode):
    """A node whose amounts read in the program's currency: `node(id:)` loads the program once for all."""

    @classmethod
    def of(cls, row: Any, program: models.Program | None) -> Self:
        raise NotImplementedError

    @classmethod
    async def nodes_of(cls, info: Info, rows: Sequence[Any]) -> list[Self]:
        program = await scoped(models.Program, info.context.tenant_id).filter(kind="points").first()
        return [cls.of(row, program) for row in rows]


@strawberry.type(name="LoyaltyRule", description="Points on an event: per order, per money unit or per unit.")
class LoyaltyRuleType(ProgramNode):
    id: relay.NodeID[int]
    event: str = strawberry.field(description="order_paid.")
    mode: str = strawberry.field(description="per_order, per_amount or per_unit.")
    basis: str = strawberry.field(description="net (goods less discount) or gross (the order's total).")
    points: int
    per: Decimal = strawberry.field(description="per_amount: `points` for every `per` of the program's currency, "
                                                "rounded down.")
    min_amount: Decimal
    enabled: bool
    read_permission = PROGRAM_READ
    model = models.EarnRule

    @classmethod
    def of(cls, row: models.EarnRule, program: models.Program | None) -> Self:
        currency = program.currency if program else "EUR"
        return cls(id=row.id, event=row.event, mode=row.mode, basis=row.basis, points=row.points,
                   per=to_decimal(row.per, currency), min_amount=to_decimal(row.min_amount, currency),
                   enabled=row.enabled)


def threshold(value: int, spend_currency: str | None) -> Decimal:
    """Points as they are; money (tiers on money spent) as a decimal amount of the program's currency."""
    return to_decimal(value, spend_currency) if spend_currency else Decimal(value)


@strawberry.type(name="LoyaltyTier")
class LoyaltyTierType(ProgramNode):
    id: relay.NodeID[int]
    name: str
    entry_threshold: Decimal = strawberry.field(description="Points, or money when tiers count money spent.")
    retain_threshold: Decimal
    read_permission = POINTS_READ  # a customer's tier shows with their points
    model = models.Tier

    @classmethod
    def of(cls, row: models.Tier, program: models.Program | None) -> Self:
        spend = program.currency if program and program.tier_basis == "spend" else None
        return cls(id=row.id, name=row.name, entry_threshold=threshold(row.entry_threshold, spend),
                   retain_threshold=threshold(row.retain_threshold, spend))


@strawberry.type(name="LoyaltyEntry", description="One signed ledger entry: the balance is their sum.")
class LoyaltyEntryType(ScopedNode):
    id: relay.NodeID[int]
    kind: str = strawberry.field(description="EARN, REDEEM, ADJUST, REFUND, EXPIRE or CLAWBACK.")
    points: int
    source_type: str = strawberry.field(description="order, refund, adjustment, redemption, lot or inactivity.")
    reason: str
    created_at: datetime
    read_permission = POINTS_READ
    model = models.LedgerEntry

    @classmethod
    def from_row(cls, row: models.LedgerEntry) -> Self:
        return cls(id=row.id, kind=row.kind, points=row.points, source_type=row.source_type, reason=row.reason,
                   created_at=row.created_at)


@strawberry.type(name="LoyaltyRedemption", description="Points reserved, then confirmed with a code or released.")
class RedemptionType(ScopedNode):
    id: relay.NodeID[int]
    points: int
    status: str = strawberry.field(description="reserved, confirmed or released.")
    code: str | None
    created_at: datetime
    settled_at: datetime | None
    read_permission = POINTS_READ
    model = models.Redemption

    @classmethod
    def from_row(cls, row: models.Redemption) -> Self:
        return cls(id=row.id, points=row.points, status=row.status, code=row.code or None, created_at=row.created_at,
                   settled_at=row.settled_at)


@strawberry.type(name="LoyaltyProgram")
class ProgramType:
    currency: str
    name: str
    pending_days: int = strawberry.field(description="Days before earned points can be used (the return window).")
    expiry_policy: str = strawberry.field(description="none, per_lot (N days after earning) or inactivity.")
    expiry_days: int
    expiry_started_at: datetime | None
    negative_policy: str = strawberry.field(description="debt (a refund may leave a debt that blocks redemption) "
                                                        "or cap (a clawback takes at most what is left).")
    tier_basis: str = strawberry.field(description="points (earned) or spend (money).")
    tier_window: str = strawberry.field(description="rolling_12m or calendar_year.")
    enabled: bool
    rules: list[LoyaltyRuleType]
    tiers: list[LoyaltyTierType] | None = strawberry.field(description="Lowest first. Needs loyalty.points:read.")
    read_permission = PROGRAM_READ

    @classmethod
    def of(cls, row: models.Program, rules: list[models.EarnRule], tiers: list[models.Tier]) -> Self:
        return cls(currency=row.currency, name=row.name, pending_days=row.pending_days,
                   expiry_policy=row.expiry_policy, expiry_days=row.expiry_days,
                   expiry_started_at=row.expiry_started_at, negative_policy=row.negative_policy,
                   tier_basis=row.tier_basis, tier_window=row.tier_window, enabled=row.enabled,
                   rules=[LoyaltyRuleType.of(r, row) for r in rules], tiers=[LoyaltyTierType.of(t, row) for t in tiers])
