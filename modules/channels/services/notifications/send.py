"""Sending a notification to a customer from a template (the automation action
channels.notify_customer runs this in its firing's transaction).

The variant is the first of the customer's language, the tenant's default language, English, then
any (aftersales' choose_variant); it is rendered with aftersales' reply-template sandbox for the
customer and the event's order, money and dates in the customer's locale and time zone. The text is
kept as a Notification and its Delivery queued through the outbox (outbound.queue_notification),
so nothing leaves before the firing commits and a crash never sends it twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import N_
from core.models import Tenant
from modules.aftersales.services import choose_variant, render_template, subject_for_customer
from modules.channels.models import Delivery, Notification
from modules.channels.services.errors import channels_error as err
from modules.channels.services.notifications.templates import template_named
from modules.channels.services.outbound import mailbox, queue_notification


@dataclass(frozen=True)
class Text:
    """One variant of a template, as choose_variant picks among them (`id`: its place)."""

    id: int
    language: str
    subject: str
    body: str


async def notify_customer(tenant_id: int, customer_id: int, template_name: str,
                          order_id: int | None = None) -> Delivery:
    template = await template_named(tenant_id, template_name)
    if template is None:
        raise err("NOT_FOUND", N_("No notification template is named {name}."), ["template"], name=template_name)
    subject = await subject_for_customer(tenant_id, customer_id, order_id)
    if subject is None or subject.customer is None:
        raise err("NOT_FOUND", N_("No such customer."), ["customer"])
    tenant = await Tenant.get(id=tenant_id)
    texts = [Text(i, str(v["language"]), str(v.get("subject") or ""), str(v["body"]))
             for i, v in enumerate(template.variants)]
    chosen = choose_variant(texts, (subject.customer.language, tenant.default_locale))
    assert chosen is not None  # a saved template has one variant or more
    notification = await Notification.create(
        tenant_id=tenant_id, customer_id=customer_id, template_id=template.id, category=template.category,
        language=chosen.language, body=await render_template(chosen.body, subject, ["body"]),
        subject=(await render_template(chosen.subject, subject, ["subject"]))[:255] if chosen.subject else "")
    return await queue_notification(notification, await mailbox(tenant_id))
