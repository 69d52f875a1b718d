"""A property-based test of the ledger: random runs of earn, redeem, release, refund, expire and
adjust against the services, with a clock moving forward; after every step the balance is the sum
of the ledger and of the lots' remainders (less debts), and no lot goes negative."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.tenancy import scoped
from modules.crm.services import CustomerData, create_customer
from modules.crm.services.orders import LineData, OrderData, create_order
from modules.loyalty.models import LedgerEntry, Program
from modules.loyalty.services import (
    ProgramInput,
    adjust_points,
    balance_of,
    clawback_for_refund,
    earn_for_order,
    expire_program,
    get_program,
    release_redemption,
    reserve_points,
    set_program,
)
from modules.loyalty.services.rules import RuleInput, create_rule
from tests.conftest import TenantFixture
from tests.modules.loyalty_support import assert_ledger_holds

STEPS = st.lists(st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 400)),
    st.tuples(st.just("redeem"), st.integers(1, 300)),
    st.tuples(st.just("release"), st.integers(0, 5)),
    st.tuples(st.just("refund"), st.integers(0, 5), st.integers(1, 100)),  # an order, a percentage of its total
    st.tuples(st.just("expire"), st.integers(0, 40)),  # days to move the clock first
    st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool)),
), min_size=1, max_size=14)
numbers = itertools.count(1)


@dataclass
class Run:
    tenant_id: int
    customer_id: int
    now: datetime
    orders: list[tuple[int, int]] = field(default_factory=list)  # (order id, total left to refund)
    reserved: list[int] = field(default_factory=list)


async def _setup(t: TenantFixture) -> Principal:
    actor = Principal(t.admin_id, t.id)
    if await scoped(Program, t.id).exists():
        return actor
    await set_program(actor, ProgramInput(currency="EUR", pending_days=3, expiry_policy="per_lot", expiry_days=20))
    await create_rule(actor, RuleInput(event="order_paid", mode="per_amount", points=1, per="1", basis="gross"))
    return actor


async def _step(actor: Principal, run: Run, step: tuple[Any, ...]) -> None:
    kind = step[0]
    run.now += timedelta(hours=7)
    if kind == "earn":
        order = await create_order(actor, OrderData(customer_id=run.customer_id, number=f"H-{next(numbers)}",
                                                    currency="EUR", status="paid", placed_at=run.now,
                                                    lines=[LineData("S", "Thing", 1, f"{step[1]}.00")]))
        await earn_for_order(run.tenant_id, order.id, now=run.now)
        await earn_for_order(run.tenant_id, order.id, now=run.now)  # delivered twice
        run.orders.append((order.id, order.total))
    elif kind == "redeem":
        run.reserved.append((await reserve_points(actor, run.customer_id, step[1], now=run.now)).id)
    elif kind == "release" and run.reserved:
        await release_redemption(actor, run.reserved.pop(step[1] % len(run.reserved)), now=run.now)
    elif kind == "refund" and run.orders:
        index = step[1] % len(run.orders)
        order_id, left = run.orders[index]
        amount = max(left * step[2] // 100, 1) if left else 0
        if amount:
            await clawback_for_refund(run.tenant_id, next(numbers), order_id, amount, "EUR", now=run.now)
            run.orders[index] = (order_id, left - amount)
    elif kind == "expire":
        run.now += timedelta(days=step[1])
        program = await scoped_program(run.tenant_id)
        await expire_program(program, run.now)
        assert await expire_program(program, run.now) == 0  # a second run expires nothing
    elif kind == "adjust":
        await adjust_points(actor, run.customer_id, step[1], "Property test", now=run.now)


async def scoped_program(tenant_id: int) -> Program:
    program = await get_program(tenant_id)
    assert program is not None
    return program


async def _holds(run: Run) -> None:
    await assert_ledger_holds(run.tenant_id, run.customer_id)
    program = await scoped_program(run.tenant_id)
    held = await balance_of(program, run.customer_id, run.now)
    entries = await scoped(LedgerEntry, run.tenant_id).filter(customer_id=run.customer_id)
    assert held.balance == sum(e.points for e in entries)
    assert held.pending >= 0 and held.available == held.balance - held.pending


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
async def test_the_ledger_always_balances(tenant: TenantFixture, steps: list[tuple[Any, ...]]) -> None:
    """One tenant for every example (its fixture runs once), a new customer each."""
    actor = await _setup(tenant)
    customer = await create_customer(actor, CustomerData(first_name="Prop", country="DE"))
    run = Run(tenant.id, customer.id, datetime.now(UTC))
    for step in steps:
        written = await scoped(LedgerEntry, tenant.id).filter(customer_id=customer.id).count()
        try:
            await _step(actor, run, step)
        except (UserFacingError, UserFacingErrors) as refused:  # a refusal writes nothing
            codes = {refused.code} if isinstance(refused, UserFacingError) else {e.code for e in refused.errors}
            assert codes <= {"INSUFFICIENT_POINTS", "IN_DEBT", "BELOW_FLOOR"}, codes
            assert await scoped(LedgerEntry, tenant.id).filter(customer_id=customer.id).count() == written
        await _holds(run)
