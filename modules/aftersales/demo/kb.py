"""Demo knowledge base: two categories and three articles in English, German, Spanish and Chinese.

Written through the services (checked, indexed for search and audited like an editor's work),
acting as the tenant's first member.
"""

from __future__ import annotations

from core.auth.principal import Principal
from core.models import Membership
from core.tenancy import scoped
from modules.aftersales.models import KbCategory
from modules.aftersales.services.kb import articles as kb
from modules.aftersales.services.kb.articles import TranslationInput as T

ARTICLES = {
    "Returns and refunds": [
        ([T("en", "How do I return an item?", "Open a return request within 30 days of delivery. "
                  "We send you a prepaid label; the refund follows once the parcel arrives.", True),
          T("de", "Wie sende ich einen Artikel zurück?", "Stellen Sie innerhalb von 30 Tagen nach Lieferung "
                  "eine Rücksendung an. Sie erhalten ein frankiertes Etikett.", True),
          T("zh", "如何办理退货？", "请在收货后三十天内申请退货，我们会提供预付运单。", True)], ["returns"]),
        ([T("en", "When will I get my refund?", "Refunds reach your account 3 to 5 working days after we "
                  "receive the return.", True),
          T("es", "¿Cuándo recibiré mi reembolso?", "El reembolso llega entre 3 y 5 días hábiles después de "
                  "recibir la devolución.", True)], ["refunds"]),
    ],
    "Shipping": [
        ([T("en", "Where is my parcel?", "Use the tracking link in your shipping e-mail. Parcels usually "
                  "arrive within 5 working days.", True),
          T("de", "Wo ist mein Paket?", "Entwurf: Sendungsverfolgung erklären.")], ["shipping", "tracking"]),
    ],
}


async def load(tenant_id: int) -> None:
    if await scoped(KbCategory, tenant_id).exists():
        return
    member = await Membership.filter(tenant_id=tenant_id, is_active=True).order_by("id").first()
    if member is None:
        return
    actor = Principal(member.user_id, tenant_id, via="script")
    for position, (name, articles) in enumerate(ARTICLES.items()):
        category = await kb.create_category(actor, name, position)
        for translations, tags in articles:
            await kb.create_article(actor, translations, category.id, tags)
