"""A refund takes back the order's points in proportion to the money refunded, rounded down like earning.

Per rule: due so far = floor(earned x refunded so far / order total), and each refund takes the
growth of that figure, so refunds in parts take back exactly what one full refund would. Points
come out of the order's own lots first, then the others in spending order (pending ones too).
What is already spent follows the program's negative-balance policy: a debt (paid off by later
earnings, blocking redemption meanwhile) or a clawback capped at what is left.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core.tenancy import scoped
from modules.crm.services import order_summary
from modules.loyalty.models import Account, LedgerEntry, Lot, Qualifying
from modules.loyalty.services import standing
from modules.loyalty.services.accounts import locked_account
from modules.loyalty.services.earning import SOURCE as ORDER
from modules.loyalty.services.ledger import debit, existing, open_lots
from modules.loyalty.services.programs import get_program
from modules.loyalty.services.sums import total

SOURCE = "refund"


async def _refunded_before(account: Account, order_id: int) -> int:
    return -await total(scoped(Qualifying, account.tenant_id).filter(
        program_id=account.program_id, source_type=SOURCE, source_id__startswith=f"{order_id}/"), "money")


async def clawback_for_refund(tenant_id: int, refund_id: int, order_id: int, amount: int, currency: str,
                              now: datetime | None = None) -> list[LedgerEntry]:
    """The CLAWBACK entries written now; none for an order that earned nothing or a refund seen before."""
    if amount <= 0:
        return []
    return await _claw_back(tenant_id, order_id, f"{order_id}/{refund_id}", amount, currency, now)


async def clawback_order(tenant_id: int, order_id: int, now: datetime | None = None) -> list[LedgerEntry]:
    """An order cancelled or marked refunded in crm: what no refund took back yet goes, once."""
    return await _claw_back(tenant_id, order_id, f"{order_id}/status", None, None, now)


async def _claw_back(tenant_id: int, order_id: int, source_id: str, amount: int | None, currency: str | None,
                     now: datetime | None) -> list[LedgerEntry]:
    """`amount` None: the whole order."""
    now = now or datetime.now(UTC)
    program = await get_program(tenant_id)
    order = await order_summary(tenant_id, order_id)
    if program is None or order is None or order.customer_id is None or order.total <= 0 \
            or currency not in (None, program.currency):
        return []
    made: list[LedgerEntry] = []
    async with in_transaction():
        account = await locked_account(program, order.customer_id)
        if await scoped(Qualifying, tenant_id).filter(program_id=program.id, source_type=SOURCE,
                                                      source_id=source_id).exists():
            return []
        earned = await scoped(LedgerEntry, tenant_id).filter(program_id=program.id, kind="EARN", source_type=ORDER,
                                                             source_id=str(order_id)).order_by("id")
        if not earned:
            return []
        before = min(await _refunded_before(account, order_id), order.total)
        refunded = order.total if amount is None else min(before + amount, order.total)
        own = await scoped(Lot, tenant_id).filter(entry_id__in=[e.id for e in earned], remaining__gt=0)
        others = [lot for lot in await open_lots(account) if lot.id not in {o.id for o in own}]
        lots = [*own, *others]
        total_clawed = 0
        for entry in earned:
            points = entry.points * refunded // order.total - entry.points * before // order.total
            if points <= 0 or await existing(account, "CLAWBACK", SOURCE, source_id, entry.rule_key):
                continue
            total_clawed += points
            if program.negative_policy == "cap":
                points = min(points, sum(lot.remaining for lot in lots))
            if points > 0:
                made.append(await debit(account, "CLAWBACK", points, SOURCE, source_id, now, lots,
                                        rule_key=entry.rule_key))
        await standing.record(account, SOURCE, source_id, -total_clawed, before - refunded, now)
        await standing.review(program, account, now)
    return made
