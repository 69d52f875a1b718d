"""Demo data: one e-mail account, switched off (its SMTP server is a local one to fill in), and the
notification template the automation docs begin with (an order shipped, in English and German)."""

from __future__ import annotations

from core.auth.principal import Principal
from core.models import Membership
from modules.channels.services import AccountInput, create_account
from modules.channels.services.notifications.templates import (
    TemplateChange,
    VariantInput,
    save_template,
    template_named,
)

SHIPPED = TemplateChange(name="Order shipped", variants=[
    VariantInput("en", "Hello {{ customer.first_name }}, your order of {{ order.date }} ({{ order.total }}) has "
                 "shipped.", "Order {{ order.number }} is on its way"),
    VariantInput("de", "Hallo {{ customer.first_name }}, Ihre Bestellung vom {{ order.date }} ({{ order.total }}) "
                 "ist unterwegs.", "Bestellung {{ order.number }} ist unterwegs"),
])


async def load(tenant_id: int) -> None:
    member = await Membership.filter(tenant_id=tenant_id).order_by("id").first()
    if member is None:
        return
    actor = Principal(member.user_id, tenant_id, via="script")
    await create_account(actor, "email", AccountInput(
        name="Support mailbox", address="support@demo.test", reply_to="support@demo.test",
        credentials={"smtp_host": "127.0.0.1", "smtp_port": 1025, "smtp_security": "none"},
        enabled=False))  # on once its SMTP settings are real: demo replies would wait on a server otherwise
    if await template_named(tenant_id, SHIPPED.name) is None:
        await save_template(actor, None, SHIPPED)
