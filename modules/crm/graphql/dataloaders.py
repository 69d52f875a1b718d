"""Per-request loaders: a page of customers costs a fixed number of queries."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info
from tortoise.functions import Count, Max, Min, Sum

from core.graphql.loaders import loader_by_key, loader_grouped, rows_by_id, rows_grouped
from core.graphql.nested_pages import top_ids_per_parent
from core.graphql.pagination import Ordering, order_by
from core.tenancy import scoped
from modules.crm.models import (
    Address,
    Customer,
    CustomerContact,
    CustomerIdentity,
    CustomerScore,
    CustomerTag,
    OrderLine,
    Tag,
)
from modules.crm.models import Order as OrderModel

NEWEST_FIRST = Ordering("placed_at", descending=True)


async def _tags(tid: int, ids: list[int]) -> list[tuple[int, Any]]:
    links = await scoped(CustomerTag, tid).filter(customer_id__in=ids).values_list("customer_id", "tag_id")
    tags = {t.id: t for t in await scoped(Tag, tid).filter(id__in={t for _, t in links})}
    return sorted(((c, tags[t]) for c, t in links if t in tags), key=lambda p: p[1].name)


async def _stats(tid: int, ids: list[int]) -> list[tuple[int, Any]]:
    rows = await (scoped(OrderModel, tid).filter(customer_id__in=ids).exclude(status="cancelled")
                  .annotate(n=Count("id"), spent=Sum("total"), first=Min("placed_at"), last=Max("placed_at"))
                  .group_by("customer_id", "currency")
                  .values("customer_id", "currency", "n", "spent", "first", "last"))
    return [(r["customer_id"], r) for r in rows]


async def _recent_orders(tid: int, ids: list[int], per_customer: int) -> list[tuple[int, Any]]:
    """The newest orders of each customer: one window statement for the ids, one for the rows."""
    order_ids = await top_ids_per_parent(OrderModel, tid, "customer_id", ids, NEWEST_FIRST, per_customer)
    rows = await scoped(OrderModel, tid).filter(id__in=order_ids).order_by(*order_by(NEWEST_FIRST)) if order_ids else []
    return [(r.customer_id, r) for r in rows if r.customer_id is not None]


def recent_orders(info: Info, per_customer: int) -> DataLoader[int, list[Any]]:
    async def fetch_recent(tid: int, ids: list[int]) -> list[tuple[int, Any]]:
        return await _recent_orders(tid, ids, per_customer)
    return loader_grouped(info, f"crm.recent_orders.{per_customer}", fetch_recent)


def scores(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, CustomerScore, "customer_id")


def contacts(info: Info, kind: str) -> DataLoader[int, list[Any]]:
    """A customer's contacts of one kind, the primary ones first: a page that shows e-mails reads and
    decrypts no phone."""
    return rows_grouped(info, CustomerContact, "customer_id", ("-is_primary", "id"), where={"kind": kind})


def addresses(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, Address, "customer_id")


def default_address(info: Info, kind: str) -> DataLoader[int, Any]:
    """Each customer's default address of `kind` (or None): a list shows one address without
    fetching all of them."""
    async def fetch_defaults(tid: int, ids: list[int]) -> dict[int, Any]:
        rows = await scoped(Address, tid).filter(customer_id__in=ids, kind=kind, is_default=True)
        return {r.customer_id: r for r in rows}
    return loader_by_key(info, f"crm.default_address.{kind}", fetch_defaults)


def identities(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, CustomerIdentity, "customer_id", related=("channel",))


def tags(info: Info) -> DataLoader[int, list[Any]]:
    return loader_grouped(info, "crm.tags", _tags)


async def _tag_names(tid: int, ids: list[int]) -> dict[int, str]:
    return dict(await scoped(Tag, tid).filter(id__in=ids).values_list("id", "name"))


def tag_names(info: Info) -> DataLoader[int, str | None]:
    """Tag names by id (segment rules store tag ids and show names)."""
    return loader_by_key(info, "crm.tag_names", _tag_names)


def customers(info: Info) -> DataLoader[int, Any]:
    """Customer rows by id (an order's or another module's row's customer)."""
    return rows_by_id(info, Customer)


def order_lines(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, OrderLine, "order_id")


def order_stats(info: Info) -> DataLoader[int, list[Any]]:
    """Per customer, one row per currency: count, spend, first and last order (cancelled excluded)."""
    return loader_grouped(info, "crm.order_stats", _stats)


async def can_see_pii(info: Info) -> bool:
    principal = info.context.require_principal()
    return await info.context.rt.access.allowed(principal.user_id, principal.tenant_id, "crm.customer.pii", "read")
