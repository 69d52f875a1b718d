"""A customer's account in a program, locked for the length of the caller's transaction.

Every change to a balance locks this row first, so two writers (a refund's clawback and a
redemption, say) take their turn: a lot is never spent twice and a debt never missed.
"""

from __future__ import annotations

from core.tenancy import scoped
from modules.loyalty.models import Account, Program


async def locked_account(program: Program, customer_id: int) -> Account:
    """Call inside a transaction. The row is made on first use (a concurrent first use inserts nothing)."""
    await Account.bulk_create([Account(tenant_id=program.tenant_id, program_id=program.id, customer_id=customer_id)],
                              ignore_conflicts=True)
    return await scoped(Account, program.tenant_id).filter(program_id=program.id, customer_id=customer_id) \
        .select_for_update().get()

