"""Demo tickets in several languages, linked to crm's demo customers and orders, one answered.

They go through the ticket services (numbers, events, SLA clocks, routing), acting as the tenant's
first member; a tenant without members gets none.
"""

from __future__ import annotations

from core.auth.principal import Principal
from core.models import Membership
from core.tenancy import scoped
from modules.aftersales.models import Ticket
from modules.aftersales.services.tickets.lifecycle import NewTicket, create_ticket
from modules.aftersales.services.tickets.messages import add_message
from modules.crm.models import Order

TICKETS = (
    # type, channel, subject, body, language, tags
    ("shipping", "email", "Wo ist meine Bestellung?",
     "Hallo, meine Bestellung ist seit zwei Wochen unterwegs. Können Sie bitte nachsehen?", "de", ["late"]),
    ("return", "web_form", "Quiero devolver las zapatillas",
     "Hola, las zapatillas me quedan pequeñas. ¿Cómo puedo devolverlas?", "es", ["wrong-size"]),
    ("complaint", "chat", "Item arrived damaged",
     "The mug arrived in pieces. I would like a replacement, please.", "en", ["damaged", "vip"]),
)


async def load(tenant_id: int) -> None:
    if await scoped(Ticket, tenant_id).exists():
        return
    member = await Membership.filter(tenant_id=tenant_id, is_active=True).order_by("id").first()
    if member is None:
        return
    actor = Principal(member.user_id, tenant_id, via="script")
    orders = list(await scoped(Order, tenant_id).order_by("id").limit(len(TICKETS)))
    for i, (kind, channel, subject, body, language, tags) in enumerate(TICKETS):
        order = orders[i] if i < len(orders) else None
        ticket = await create_ticket(actor, NewTicket(
            type=kind, channel=channel, subject=subject, body=body, language=language, tags=tags,
            order_id=order.id if order else None))
        if i == 0:
            await add_message(actor, ticket.id, "outbound", "Thank you, we are checking with the carrier.")
