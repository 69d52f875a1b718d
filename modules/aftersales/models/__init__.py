"""The aftersales module's tables (all tenant-owned, all prefixed aftersales_).

Each concept has its own file; this package re-exports them for tortoise's app discovery.
"""

from modules.aftersales.models.ticket import Ticket, TicketEvent, TicketMessage, TicketOrderLine, TicketTag

__all__ = ["Ticket", "TicketEvent", "TicketMessage", "TicketOrderLine", "TicketTag"]
