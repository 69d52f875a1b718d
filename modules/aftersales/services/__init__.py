"""The aftersales business rules, one folder per subdomain: tickets/, sla/, routing/, macros/, kb/
and returns/, with what they share at this level (errors, settings_table, state_machine,
business_hours, language, translation, live).

The functions and classes other modules, scripts, jobs and partners call are re-exported here,
so `from modules.aftersales.services import create_ticket` keeps working whichever file holds it.
Names that mean different things in different subdomains (`create_rule`, `create_policy`, `UNSET`,
`search`, ...) are not: import those from their module (`services.sla.policies`, say).
"""

from modules.aftersales.services.business_hours import Calendar, calendar_for, holiday_dates
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.kb.articles import (
    TranslationInput,
    create_article,
    create_category,
    delete_article,
    delete_category,
    get_article,
    get_category,
    list_categories,
    update_article,
    update_category,
)
from modules.aftersales.services.kb.published import (
    Published,
    published_article,
    published_articles,
    reader_languages,
    search_published,
)
from modules.aftersales.services.kb.search import Found
from modules.aftersales.services.live import TicketChange, TicketPlace, TicketWatch, ticket_changed, ticket_changes
from modules.aftersales.services.macros.macros import (
    MacroActions,
    MacroInput,
    VariantInput,
    apply_macro,
    choose_variant,
    create_macro,
    delete_macro,
    update_macro,
)
from modules.aftersales.services.macros.templates import register_provider, unregister_provider
from modules.aftersales.services.privacy import ticket_ids_of
from modules.aftersales.services.returns.exchanges import ReplacementInput, create_exchange
from modules.aftersales.services.returns.policies import Terms
from modules.aftersales.services.returns.refunds import RefundInput, create_refund, latest_refund, refundable
from modules.aftersales.services.returns.repairs import advance_repair, start_repair
from modules.aftersales.services.returns.requests import LineInput, Photo, ReturnInput, create_return, get_return
from modules.aftersales.services.returns.returnable import ReturnableLine, ReturnableOrder, returnable_order
from modules.aftersales.services.returns.shipments import add_shipment, alert_stale
from modules.aftersales.services.returns.tracking import TrackedReturn, TrackedShipment, returns_of_order
from modules.aftersales.services.routing.assignment import (
    RoutingRuleInput,
    choose_agent,
    route,
    set_availability,
    set_dedicated_agent,
)
from modules.aftersales.services.routing.conditions import ConditionsInput, MinAmount
from modules.aftersales.services.routing.priority import PriorityRuleInput
from modules.aftersales.services.sla.calendars import set_calendar
from modules.aftersales.services.sla.clocks import (
    ClockEvent,
    Clocks,
    Targets,
    TicketState,
    advance,
    next_due,
    refresh_clocks,
)
from modules.aftersales.services.sla.escalation import BATCH, ScanResult, due_batch, ticket_escalations
from modules.aftersales.services.sla.policies import policy_for
from modules.aftersales.services.tickets.batch import MAX_BATCH, batch_update
from modules.aftersales.services.tickets.filters import TicketFilter, filter_tickets
from modules.aftersales.services.tickets.lifecycle import (
    Attachment,
    NewTicket,
    TicketChanges,
    change_status,
    create_ticket,
    find_by_number,
    get_ticket,
    reopen,
    sla_state,
    update_ticket,
)
from modules.aftersales.services.tickets.messages import (
    REPLY_ADDED,
    add_message,
    attach_files,
    first_message_id,
    get_message,
)

__all__ = [
    # shared
    "aftersales_error", "Calendar", "calendar_for", "holiday_dates",
    "TicketChange", "TicketPlace", "TicketWatch", "ticket_changed", "ticket_changes",
    # tickets
    "Attachment", "NewTicket", "TicketChanges", "create_ticket", "update_ticket", "change_status", "reopen",
    "get_ticket", "find_by_number", "sla_state", "add_message", "get_message", "REPLY_ADDED",
    "attach_files", "first_message_id",
    "MAX_BATCH", "batch_update", "TicketFilter", "filter_tickets", "ticket_ids_of",
    # sla
    "ClockEvent", "Clocks", "Targets", "TicketState", "advance", "next_due", "refresh_clocks", "policy_for",
    "set_calendar", "BATCH", "ScanResult", "due_batch", "ticket_escalations",
    # routing and priority
    "RoutingRuleInput", "PriorityRuleInput", "ConditionsInput", "MinAmount", "route", "choose_agent",
    "set_availability", "set_dedicated_agent",
    # macros and reply templates
    "MacroActions", "MacroInput", "VariantInput", "create_macro", "update_macro", "delete_macro", "apply_macro",
    "choose_variant", "register_provider", "unregister_provider",
    # knowledge base
    "TranslationInput", "create_category", "update_category", "delete_category", "get_category",
    "create_article", "update_article", "delete_article", "get_article", "list_categories", "Found",
    "Published", "published_articles", "published_article", "search_published", "reader_languages",
    # returns, refunds, exchanges, repairs, shipments
    "LineInput", "Photo", "ReturnInput", "create_return", "get_return", "RefundInput", "create_refund",
    "latest_refund", "refundable", "ReplacementInput", "create_exchange", "start_repair", "advance_repair",
    "add_shipment", "alert_stale", "Terms", "ReturnableLine", "ReturnableOrder", "returnable_order",
    "TrackedReturn", "TrackedShipment", "returns_of_order",
]
