"""A provider's receipts on our replies (WhatsApp: sent, delivered, read, failed) move their
delivery forward, never back: statuses arrive out of order, and a late `delivered` must not undo
`read`. A failure counts only before the message was delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from core.channels import Receipt
from core.tenancy import scoped
from modules.channels.models import Delivery

RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}
STAMPS = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at"}


def moves(current: str, receipt: Receipt) -> bool:
    if current not in RANK:  # failed, bounced: final
        return False
    if receipt.state == "failed":
        return RANK[current] < RANK["delivered"]
    return RANK[receipt.state] > RANK[current]


async def _apply(tenant_id: int, account_id: int, receipt: Receipt) -> int | None:
    """The ticket whose reply moved, or None."""
    ids = [i for i in (receipt.provider_id, receipt.ref) if i]
    delivery = await (scoped(Delivery, tenant_id).filter(account_id=account_id, provider_id__in=ids)
                      .select_for_update().first())
    if delivery is None or not moves(delivery.state, receipt):
        return None
    now = datetime.now(UTC)
    delivery.state, delivery.provider_id = receipt.state, receipt.provider_id  # found by our ref: the wamid now
    fields = ["state", "provider_id"]
    if receipt.state == "failed":
        delivery.error, delivery.response = (receipt.error or "failed")[:64], receipt.response
        fields += ["error", "response"]
    for state, stamp in STAMPS.items():  # a `read` that overtook `delivered` implies it
        if RANK[state] <= RANK.get(receipt.state, 0) and getattr(delivery, stamp) is None:
            setattr(delivery, stamp, now)
            fields.append(stamp)
    await delivery.save(update_fields=fields)
    return delivery.ticket_id


async def apply_receipts(tenant_id: int, account_id: int, receipts: Sequence[Receipt]) -> list[int]:
    """Inside the inbound message's transaction (the row lock orders two receipts of one reply);
    the tickets whose replies moved, to be told once it commits."""
    moved = [await _apply(tenant_id, account_id, receipt) for receipt in receipts]
    return [ticket_id for ticket_id in moved if ticket_id is not None]
