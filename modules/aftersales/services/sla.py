"""SLA clocks on tickets (the SLA slice fills this in).

`refresh_clocks` is called by the ticket services inside their transaction, after every change
that can start, pause, resume or stop a clock; it only sets the ticket's SLA fields, the caller
saves the ticket.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from modules.aftersales.models import Ticket

ClockEvent = Literal["created", "status_changed", "priority_changed", "replied", "customer_replied",
                     "team_changed"]


async def refresh_clocks(ticket: Ticket, event: ClockEvent, now: datetime) -> None:
    """Set first_response_due, next_response_due, resolution_due, next_sla_due and sla_paused_at."""
