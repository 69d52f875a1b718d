"""Live updates of tickets for subscriptions (the live slice fills this in).

The ticket services call `ticket_changed` after their transaction commits.
"""

from __future__ import annotations

from modules.aftersales.models import Ticket


async def ticket_changed(ticket: Ticket, kind: str) -> None:
    """Tell every subscribed inbox, in every process, that this ticket changed."""
