"""Demo customers across channels and countries, with orders in several currencies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.tenancy import scoped
from modules.crm.models import (
    Address,
    Customer,
    CustomerIdentity,
    CustomerTag,
    CustomField,
    Note,
    Order,
    OrderLine,
    Product,
    SalesChannel,
    Segment,
    Tag,
)
from modules.crm.services.contacts import replace_contacts

PEOPLE = [
    # first, last, country, language, currency, email, phone, channel, tier
    ("Jonas", "Weber", "DE", "de-DE", "EUR", "jonas.weber@example.de", "+4915112345678", "Amazon DE", "gold"),
    ("María", "García", "ES", "es-ES", "EUR", "maria.garcia@example.es", "+34612345678", "Shopify EU", "standard"),
    ("Yuki", "Tanaka", "JP", "ja-JP", "JPY", "yuki.tanaka@example.jp", "+819012345678", "Amazon JP", "vip"),
    ("Emily", "Clark", "US", "en-US", "USD", "emily.clark@example.com", "+14155552671", "Shopify US", "silver"),
]


async def load(tenant_id: int) -> None:
    if await scoped(Customer, tenant_id).exists():
        return
    now = datetime.now(UTC)
    channels = {}
    for name, platform in (("Amazon DE", "amazon"), ("Amazon JP", "amazon"), ("Shopify EU", "shopify"),
                           ("Shopify US", "shopify")):
        channels[name] = await SalesChannel.create(tenant_id=tenant_id, platform=platform, name=name)
    vip = await Tag.create(tenant_id=tenant_id, name="VIP", colour="#eab308")
    jacket = await Product.create(tenant_id=tenant_id, sku="JKT-001", name="Down jacket", category="apparel")
    for i, (first, last, country, lang, cur, email, phone, channel, tier) in enumerate(PEOPLE):
        customer = await Customer.create(tenant_id=tenant_id, first_name=first, last_name=last,
                                         display_name=f"{first} {last}", country=country, language=lang,
                                         currency=cur, tier=tier, stage="active")
        await replace_contacts(tenant_id, customer.id, {"email": [email], "phone": [phone]})
        await Address.create(tenant_id=tenant_id, customer_id=customer.id, kind="shipping", name=f"{first} {last}",
                             line1=f"{10 + i} Demo Street", postal_code=f"{10_000 + i}", city="Demo City",
                             country=country)
        await CustomerIdentity.create(tenant_id=tenant_id, customer_id=customer.id,
                                      channel_id=channels[channel].id, external_id=f"EXT-{1000 + i}")
        price = 15_900 if cur == "JPY" else 12_900
        for n in range(2):
            order = await Order.create(tenant_id=tenant_id, customer_id=customer.id,
                                       channel_id=channels[channel].id, external_id=f"ORD-{i}-{n}",
                                       number=f"{100200 + i * 10 + n}", status="delivered", currency=cur,
                                       subtotal=price, total=price, placed_at=now - timedelta(days=30 * (n + 1)))
            await OrderLine.create(tenant_id=tenant_id, order_id=order.id, product_id=jacket.id, sku=jacket.sku,
                                   name=jacket.name, quantity=1, unit_price=price, currency=cur)
        if tier == "vip":
            await CustomerTag.create(tenant_id=tenant_id, customer_id=customer.id, tag_id=vip.id)
            await Note.create(tenant_id=tenant_id, customer_id=customer.id, body="Prefers e-mail in Japanese.")
    await CustomField.create(tenant_id=tenant_id, key="preferred_size", label="Preferred size", type="choice",
                             choices=["S", "M", "L", "XL"])
    await Segment.create(tenant_id=tenant_id, name="Repeat buyers opted in", rule={"all": [
        {"field": "orders.count", "op": "gte", "value": 2},
        {"field": "marketing_consent", "op": "eq", "value": True}]})
