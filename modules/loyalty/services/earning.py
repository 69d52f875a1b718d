"""Points for a paid order: one lot per rule that pays, credited once whatever the deliveries.

The order is read through crm's public services. An order in another currency than the
program's earns nothing in this version (conversion at the order date's rate comes later).
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from modules.crm.services import order_summary
from modules.loyalty.models import LedgerEntry
from modules.loyalty.services import lots, standing
from modules.loyalty.services.accounts import locked_account
from modules.loyalty.services.ledger import credit
from modules.loyalty.services.programs import get_program
from modules.loyalty.services.rules import enabled_rules, points_for

PAID_STATUSES = ("paid", "shipped", "delivered")
SOURCE = "order"


async def earn_for_order(tenant_id: int, order_id: int, now: datetime | None = None) -> list[LedgerEntry]:
    """The EARN entries written now (none when the order earned before, or earns nothing)."""
    now = now or datetime.now(UTC)
    program = await get_program(tenant_id)
    order = await order_summary(tenant_id, order_id)
    if program is None or not program.enabled or order is None or order.customer_id is None \
            or order.status not in PAID_STATUSES or order.currency != program.currency:
        return []
    paid = [(rule, points_for(rule, order)) for rule in await enabled_rules(program, "order_paid")]
    paid = [(rule, points) for rule, points in paid if points > 0]
    if not paid:
        return []
    made: list[LedgerEntry] = []
    async with in_transaction():
        account = await locked_account(program, order.customer_id)
        for rule, points in paid:
            entry = await credit(account, "EARN", points, SOURCE, str(order.id), now, rule_key=rule.id,
                                 pending_until=lots.pending_until(program, now),
                                 expires_at=lots.expires_at(program, now))
            if entry is not None:
                made.append(entry)
        if made:
            await standing.record(account, SOURCE, str(order.id), sum(e.points for e in made), order.total, now)
            account.last_activity_at = now
            await account.save(update_fields=["last_activity_at"])
            await standing.review(program, account, now)
    return made
