"""Points given or taken by hand, with a reason, audited. Taking never goes below the floor: the
customer's usable points (pending ones cannot be taken, and no adjustment makes a debt)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from modules.crm.services import get_customer
from modules.loyalty.models import LedgerEntry
from modules.loyalty.services import lots as lot_dates
from modules.loyalty.services.accounts import locked_account
from modules.loyalty.services.errors import loyalty_error
from modules.loyalty.services.ledger import credit, debit, open_lots
from modules.loyalty.services.programs import require_program

MAX_ADJUSTMENT = 10_000_000
MAX_REASON = 500


def _checked(points: int, reason: str) -> str:
    errors: list[UserFacingError] = []
    if points == 0 or abs(points) > MAX_ADJUSTMENT:
        errors.append(loyalty_error("INVALID_POINTS", N_("Give a number of points other than 0, at most {max}."),
                                    ["points"], max=MAX_ADJUSTMENT))
    text = reason.strip()
    if not 1 <= len(text) <= MAX_REASON:
        errors.append(loyalty_error("INVALID_REASON", N_("Give a reason of 1 to {max} characters."), ["reason"],
                                    max=MAX_REASON))
    if errors:
        raise UserFacingErrors(errors)
    return text


async def adjust_points(actor: Principal, customer_id: int, points: int, reason: str,
                        now: datetime | None = None) -> LedgerEntry:
    text = _checked(points, reason)
    now = now or datetime.now(UTC)
    tid = actor.tenant_id
    program = await require_program(tid)
    await get_customer(tid, customer_id)
    key = uuid.uuid4().hex
    async with in_transaction():
        account = await locked_account(program, customer_id)
        if points > 0:
            entry = await credit(account, "ADJUST", points, "adjustment", key, now, reason=text,
                                 expires_at=lot_dates.expires_at(program, now), actor_id=actor.user_id)
            assert entry is not None  # a fresh key
        else:
            usable = await open_lots(account, usable_at=now)
            floor = sum(lot.remaining for lot in usable)
            if -points > floor:
                message = N_("At most {points} points can be taken: what the customer can use now.")
                raise loyalty_error("BELOW_FLOOR", message, ["points"], points=floor)
            entry = await debit(account, "ADJUST", -points, "adjustment", key, now, usable, reason=text,
                                actor_id=actor.user_id)
        await audit.record(actor, tid, "loyalty.adjust", "Customer", customer_id, None,
                           {"points": points, "reason": text, "entry": entry.id})
    return entry
