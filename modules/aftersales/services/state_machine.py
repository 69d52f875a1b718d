"""Which ticket status may follow which.

A closed ticket is finished: only reopening (back to open) brings it back, and so does a resolved
one (the customer writes again, or an agent reopens it). Moving to the status a ticket already
has is not a transition at all: callers treat it as "nothing to do".
"""

from __future__ import annotations

from modules.aftersales.models.ticket import TICKET_STATUSES

WORKING = ("open", "pending_customer", "on_hold")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({*WORKING, "resolved", "closed"}),
    "open": frozenset({"pending_customer", "on_hold", "resolved", "closed"}),
    "pending_customer": frozenset({"open", "on_hold", "resolved", "closed"}),
    "on_hold": frozenset({"open", "pending_customer", "resolved", "closed"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset({"open"}),
}
assert set(TRANSITIONS) == set(TICKET_STATUSES)


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def is_reopen(current: str, target: str) -> bool:
    """Back to work after the ticket was resolved or closed (its own event kind, clears the dates)."""
    return current in ("resolved", "closed") and target == "open"
