"""Data-subject requests: everything held on a customer (access), and erasure on request.

Erasure keeps the customer row as an anonymised tombstone (stage "erased": no names, birthday,
custom fields, consent, language or time zone; country and currency kept for aggregate figures)
and keeps its orders linked to that tombstone: order totals, lines and dates stay in the books and
in the statistics (sales records must be kept for tax), while nothing left identifies the person.
Contacts, addresses, channel identities, notes and tag links are deleted, orders lose their
tracking numbers, and earlier audit entries of the customer have their personal values redacted.
Records merged into the customer (services/merge.py) are the same person: they are erased too.
All of it happens in one transaction, with an audit entry that holds counts, never contact data,
and the event `crm.customer.erased` (the erased customer ids): other modules erase what they hold
on the person (aftersales: ticket texts and attachments; channels: the raw messages).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, events, money
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import AuditEntry
from core.tenancy import scoped
from modules.crm.models import (
    Address,
    Customer,
    CustomerContact,
    CustomerIdentity,
    CustomerTag,
    Note,
    Order,
    OrderLine,
    Tag,
)
from modules.crm.services.customers import get_customer
from modules.crm.services.errors import crm_error

ERASED = "erased"
CUSTOMER_ERASED = "crm.customer.erased"  # payload: {"customer_ids": [...]}, the merged sources too
REDACTED = "[erased]"
# Personal values a Customer audit entry may hold (crm.services.customers.AUDITED): redacted on erasure.
PERSONAL = ("first_name", "last_name", "birthday", "custom_fields", "consent_source", "timezone", "language")


def confirmation_required() -> UserFacingError:
    return crm_error("CONFIRMATION_REQUIRED",
                     N_("Erasure cannot be undone: set confirm to true to erase this customer's data."), ["confirm"])


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _amount(minor: int, currency: str) -> str:
    return str(money.to_decimal(minor, currency))


async def customer_data(actor: Principal, customer_id: int) -> dict[str, Any]:
    """Everything held on one customer, unmasked (the caller checked crm.customer.pii:read)."""
    tid = actor.tenant_id
    customer = await get_customer(tid, customer_id)
    contacts = await scoped(CustomerContact, tid).filter(customer_id=customer.id).order_by("-is_primary", "id")
    addresses = await scoped(Address, tid).filter(customer_id=customer.id).order_by("id")
    identities = (await scoped(CustomerIdentity, tid).filter(customer_id=customer.id)
                  .select_related("channel").order_by("id"))
    tag_ids = await scoped(CustomerTag, tid).filter(customer_id=customer.id).values_list("tag_id", flat=True)
    tags = await scoped(Tag, tid).filter(id__in=list(tag_ids)).order_by("name")
    notes = await scoped(Note, tid).filter(customer_id=customer.id).order_by("created_at", "id")
    orders = await scoped(Order, tid).filter(customer_id=customer.id).select_related("channel").order_by(
        "placed_at", "id")
    lines: dict[int, list[OrderLine]] = {}
    for line in await scoped(OrderLine, tid).filter(order_id__in=[o.id for o in orders]).order_by("id"):
        lines.setdefault(line.order_id, []).append(line)
    document = {
        "generated_at": datetime.now(UTC).isoformat(),
        "customer": {
            "id": customer.id, "first_name": customer.first_name, "last_name": customer.last_name,
            "display_name": customer.display_name, "country": customer.country, "language": customer.language,
            "timezone": customer.timezone, "currency": customer.currency, "birthday": _iso(customer.birthday),
            "marketing_consent": {"granted": customer.marketing_consent, "at": _iso(customer.consent_at),
                                  "source": customer.consent_source},
            "tier": customer.tier, "stage": customer.stage, "custom_fields": customer.custom_fields,
            "created_at": _iso(customer.created_at), "updated_at": _iso(customer.updated_at),
        },
        "emails": [{"value": c.value, "primary": c.is_primary, "added_at": _iso(c.created_at)}
                   for c in contacts if c.kind == "email"],
        "phones": [{"value": c.value, "primary": c.is_primary, "added_at": _iso(c.created_at)}
                   for c in contacts if c.kind == "phone"],
        "addresses": [{"kind": a.kind, "name": a.name, "line1": a.line1, "line2": a.line2,
                       "postal_code": a.postal_code, "city": a.city, "region": a.region, "country": a.country}
                      for a in addresses],
        "identities": [{"platform": i.channel.platform, "channel": i.channel.name, "external_id": i.external_id}
                       for i in identities],
        "tags": [t.name for t in tags],
        "notes": [{"body": n.body, "created_at": _iso(n.created_at)} for n in notes],
        "orders": [{
            "number": o.number, "external_id": o.external_id, "channel": o.channel.name if o.channel else None,
            "status": o.status, "currency": o.currency, "subtotal": _amount(o.subtotal, o.currency),
            "shipping": _amount(o.shipping, o.currency), "tax": _amount(o.tax, o.currency),
            "discount": _amount(o.discount, o.currency), "total": _amount(o.total, o.currency),
            "placed_at": _iso(o.placed_at), "paid_at": _iso(o.paid_at), "shipped_at": _iso(o.shipped_at),
            "delivered_at": _iso(o.delivered_at), "carrier": o.carrier, "tracking_number": o.tracking_number,
            "lines": [{"sku": li.sku, "name": li.name, "quantity": li.quantity,
                       "unit_price": _amount(li.unit_price, li.currency), "currency": li.currency}
                      for li in lines.get(o.id, [])],
        } for o in orders],
    }
    await audit.record(actor, tid, "customer.data_export", "Customer", customer.id, None,
                       {"orders": len(orders), "contacts": len(contacts), "addresses": len(addresses)})
    return document


def _redact(snapshot: Any) -> Any:
    if not isinstance(snapshot, dict):
        return snapshot
    return {k: (REDACTED if k in PERSONAL and v not in (None, "", {}) else v) for k, v in snapshot.items()}


async def _with_merged_sources(tenant_id: int, customer_id: int) -> list[int]:
    """The customer and every record merged into it, directly or not: the same person."""
    ids, frontier = [customer_id], [customer_id]
    while frontier:
        found: list[Any] = await scoped(Customer, tenant_id).filter(merged_into_id__in=frontier) \
            .values_list("id", flat=True)
        frontier = [int(i) for i in found if int(i) not in ids]
        ids += frontier
    return ids


async def erase_customer(actor: Principal, customer_id: int, confirm: bool) -> Customer:
    """Erase a customer's personal data, keeping their orders anonymised (see the module docstring)."""
    tid = actor.tenant_id
    async with in_transaction():
        customer = await scoped(Customer, tid).filter(id=customer_id).select_for_update().first()
        errors = []
        if customer is None:
            errors.append(crm_error("NOT_FOUND", N_("No such customer."), ["customerId"]))
        elif customer.stage == ERASED:
            errors.append(crm_error("ALREADY_ERASED", N_("This customer's data has already been erased."),
                                    ["customerId"]))
        if not confirm:
            errors.append(confirmation_required())
        if errors:
            raise UserFacingErrors(errors)
        assert customer is not None
        ids = await _with_merged_sources(tid, customer.id)
        removed = {
            "contacts": await scoped(CustomerContact, tid).filter(customer_id__in=ids).delete(),
            "addresses": await scoped(Address, tid).filter(customer_id__in=ids).delete(),
            "identities": await scoped(CustomerIdentity, tid).filter(customer_id__in=ids).delete(),
            "notes": await scoped(Note, tid).filter(customer_id__in=ids).delete(),
            "tags": await scoped(CustomerTag, tid).filter(customer_id__in=ids).delete(),
        }
        orders = await scoped(Order, tid).filter(customer_id__in=ids).update(tracking_number="")
        before = {"stage": customer.stage}
        await scoped(Customer, tid).filter(id__in=ids).update(
            first_name="", last_name="", display_name="", birthday=None, custom_fields={}, marketing_consent=False,
            consent_at=None, consent_source="", language=None, timezone=None, stage=ERASED,
            updated_at=datetime.now(UTC))
        for entry in await scoped(AuditEntry, tid).filter(object_type="Customer", object_id__in=[str(i) for i in ids]):
            redacted_before, redacted_after = _redact(entry.before), _redact(entry.after)
            if (redacted_before, redacted_after) != (entry.before, entry.after):
                entry.before, entry.after = redacted_before, redacted_after
                await entry.save(update_fields=["before", "after"])
        await audit.record(actor, tid, "customer.erase", "Customer", customer.id, before,
                           {"stage": ERASED, "removed": removed, "orders_kept": orders,
                            "merged_sources": sorted(set(ids) - {customer.id})})
        await events.emit(CUSTOMER_ERASED, {"customer_ids": sorted(ids)}, tid)
        customer = await scoped(Customer, tid).get(id=customer.id)
    return customer
