"""Priority computed from the tenant's rules (the priority-rules slice fills this in).

`compute` is called by the ticket services when a ticket is created (and when its order or text
changes) unless an agent set the priority by hand (`priority_overridden`).
"""

from __future__ import annotations

from modules.aftersales.models import Ticket


async def compute(ticket: Ticket, text: str) -> str | None:
    """The priority the first matching rule gives (low, normal, high, urgent), or None."""
    return None
