"""The aftersales module's tables (all tenant-owned, all prefixed aftersales_).

Each concept has its own file; this package re-exports them for tortoise's app discovery.
"""

from modules.aftersales.models.agent import AgentProfile, DedicatedAgent
from modules.aftersales.models.kb import KbArticle, KbArticleTranslation, KbCategory
from modules.aftersales.models.macro import Macro, MacroVariant
from modules.aftersales.models.priority import PriorityRule
from modules.aftersales.models.refund import Refund
from modules.aftersales.models.return_policy import ReturnPolicy
from modules.aftersales.models.returns import ExchangeLine, Repair, RepairEvent, ReturnLine, ReturnRequest
from modules.aftersales.models.routing import RoundRobinCursor, RoutingRule
from modules.aftersales.models.shipment import ReturnShipment, ShipmentEvent
from modules.aftersales.models.sla import EscalationRecord, EscalationRule, SlaCalendar, SlaPolicy
from modules.aftersales.models.ticket import Ticket, TicketEvent, TicketMessage, TicketOrderLine, TicketTag
from modules.aftersales.models.ticket_counter import TicketCounter

__all__ = ["AgentProfile", "DedicatedAgent", "EscalationRecord", "EscalationRule", "ExchangeLine", "KbArticle",
           "KbArticleTranslation", "KbCategory", "Macro", "MacroVariant", "PriorityRule", "Refund", "Repair",
           "RepairEvent", "ReturnLine", "ReturnPolicy", "ReturnRequest", "ReturnShipment", "RoundRobinCursor",
           "RoutingRule", "ShipmentEvent", "SlaCalendar", "SlaPolicy", "Ticket", "TicketCounter", "TicketEvent",
           "TicketMessage", "TicketOrderLine", "TicketTag"]
