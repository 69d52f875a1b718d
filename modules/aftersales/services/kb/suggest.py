"""Articles that may answer a ticket: the significant words of its subject and first customer
message, searched among published articles in the ticket's language, then in the tenant's."""

from __future__ import annotations

from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import Ticket, TicketMessage
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.kb import search as kb_search
from modules.aftersales.services.kb import text as kb_text


async def ticket_text(tenant_id: int, ticket_id: int) -> tuple[str, str]:
    """(subject and first inbound message, their language)."""
    ticket = await scoped(Ticket, tenant_id).filter(id=ticket_id).first()
    if ticket is None:
        raise aftersales_error("NOT_FOUND", N_("No such ticket."), ["ticketId"])
    first = await (scoped(TicketMessage, tenant_id).filter(ticket_id=ticket.id, kind="inbound")
                   .order_by("created_at", "id").first())
    language = ticket.language or (first.language if first else "")
    return f"{ticket.subject}\n{first.body if first else ''}", kb_text.primary(language)


async def suggest(tenant_id: int, ticket_id: int, default_language: str, limit: int = 5) -> list[kb_search.Found]:
    """Best first; one translation per article; never a draft."""
    text, language = await ticket_text(tenant_id, ticket_id)
    fallback = kb_text.primary(default_language)
    found: list[kb_search.Found] = []
    for lang in dict.fromkeys(lang for lang in (language, fallback) if lang):
        if len(found) >= limit:
            break
        words = kb_text.significant_words(text, lang)
        if not words:
            continue
        hits = await kb_search.search_any(tenant_id, words, language=lang, published_only=True, limit=limit)
        await kb_search.add_unique(tenant_id, hits, found, limit)
    return found
