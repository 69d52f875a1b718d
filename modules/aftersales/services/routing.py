"""Routing a new ticket to a team and an agent (the routing slice fills this in).

`route` is called by the ticket services inside their transaction when a ticket is created
without a team or assignee; it sets `team_id` and/or `assignee_id` on the ticket, the caller saves.
"""

from __future__ import annotations

from modules.aftersales.models import Ticket


async def route(ticket: Ticket) -> None:
    """Choose the team (routing rules) and the agent (dedicated VIP agent, round-robin or least-loaded)."""
