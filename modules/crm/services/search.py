"""Customer filters, evaluated in SQL (subqueries), never by loading customers into Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max, Sum
from tortoise.queryset import QuerySet

from core.tenancy import scoped
from modules.crm.models import Customer, CustomerContact, CustomerIdentity, CustomerTag, Order
from modules.crm.services.contacts import search_hashes
from modules.crm.services.rules import compile_rule


@dataclass
class CustomerFilter:
    """What to select. Coded values (countries, languages, tiers, stages, spend_currency) are compared as
    stored: normalise them with values.py first (the GraphQL filter does), as createCustomer does."""

    search: str | None = None
    countries: list[str] | None = None
    languages: list[str] | None = None
    tag_ids: list[int] | None = None
    tiers: list[str] | None = None
    stages: list[str] | None = None
    channel_ids: list[int] | None = None
    spend_currency: str | None = None
    spend_min: int | None = None
    spend_max: int | None = None
    last_order_from: datetime | None = None
    last_order_to: datetime | None = None
    # A checked segment rule (modules/crm/services/rules.py), compiled into this query's WHERE.
    segment_rule: dict[str, Any] | None = None


def _ids(qs: QuerySet[Any], column: str = "customer_id") -> Subquery:
    return Subquery(qs.values(column))


def filter_customers(tenant_id: int, f: CustomerFilter, region: str | None = None) -> QuerySet[Customer]:
    qs = scoped(Customer, tenant_id).filter(merged_into_id__isnull=True)  # a merged customer lives on in its target
    if f.search and f.search.strip():
        term = f.search.strip()
        condition = Q(display_name__icontains=term)
        hashes = search_hashes(term, region)
        if hashes:
            contacts = scoped(CustomerContact, tenant_id).filter(value_hash__in=hashes)
            condition |= Q(id__in=_ids(contacts))
        orders = scoped(Order, tenant_id).filter(number=term, customer_id__not_isnull=True)
        condition |= Q(id__in=_ids(orders))
        qs = qs.filter(condition)
    for column, values in (("country", f.countries), ("language", f.languages), ("tier", f.tiers),
                           ("stage", f.stages)):
        if values:
            qs = qs.filter(**{f"{column}__in": values})
    if f.tag_ids:
        qs = qs.filter(id__in=_ids(scoped(CustomerTag, tenant_id).filter(tag_id__in=f.tag_ids)))
    if f.channel_ids:
        qs = qs.filter(id__in=_ids(scoped(CustomerIdentity, tenant_id).filter(channel_id__in=f.channel_ids)))
    if f.spend_currency and (f.spend_min is not None or f.spend_max is not None):
        spend = (scoped(Order, tenant_id).filter(currency=f.spend_currency.upper(), customer_id__not_isnull=True)
                 .annotate(spent=Sum("total")).group_by("customer_id"))
        if f.spend_min is not None:
            spend = spend.filter(spent__gte=f.spend_min)
        if f.spend_max is not None:
            spend = spend.filter(spent__lte=f.spend_max)
        qs = qs.filter(id__in=_ids(spend))
    if f.last_order_from or f.last_order_to:
        last = (scoped(Order, tenant_id).filter(customer_id__not_isnull=True)
                .annotate(last=Max("placed_at")).group_by("customer_id"))
        if f.last_order_from:
            last = last.filter(last__gte=f.last_order_from)
        if f.last_order_to:
            last = last.filter(last__lte=f.last_order_to)
        qs = qs.filter(id__in=_ids(last))
    if f.segment_rule is not None:
        qs = qs.filter(compile_rule(tenant_id, f.segment_rule))
    return qs
