"""A page of customers loads what the query asks of them in one go (core.graphql.selection):
e-mails, phones, addresses and recent orders run the same statements the DataLoaders would, all
at once, and the fields then resolve synchronously from `CustomerType.prefetched`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from core.graphql.selection import Fill, int_argument, prefetch
from core.masking import mask_email, mask_phone
from modules.crm.graphql import dataloaders
from modules.crm.graphql.types import MAX_RECENT_ORDERS, CustomerType, OrderType, PostalAddress


def _contacts(kind: str, field: str) -> Fill:
    async def fill(info: Info, nodes: Sequence[Any], _: list[SelectedField]) -> None:
        lists = await dataloaders.contacts(info, kind).load_many([n.id for n in nodes])
        mask = None if await dataloaders.can_see_pii(info) else (mask_email if kind == "email" else mask_phone)
        for node, rows in zip(nodes, lists, strict=True):
            node.prefetched[field] = [c.value if mask is None else mask(c.value) for c in rows]
    return fill


async def _addresses(info: Info, nodes: Sequence[Any], _: list[SelectedField]) -> None:
    lists = await dataloaders.addresses(info).load_many([n.id for n in nodes])
    for node, rows in zip(nodes, lists, strict=True):
        node.prefetched["addresses"] = [PostalAddress.from_row(a) for a in rows]


async def _recent_orders(info: Info, nodes: Sequence[Any], fields: list[SelectedField]) -> None:
    # (a size out of range is left to the field, which says so)
    for last in {int_argument(f, "last", 5) for f in fields}:
        if last is None or not 0 <= last <= MAX_RECENT_ORDERS:
            continue
        lists = await dataloaders.recent_orders(info, last).load_many([n.id for n in nodes])
        for node, rows in zip(nodes, lists, strict=True):
            node.prefetched["recentOrders", last] = [OrderType.from_row(o) for o in rows]


FILLS: dict[str, Fill] = {"emails": _contacts("email", "emails"), "phones": _contacts("phone", "phones"),
                          "addresses": _addresses, "recentOrders": _recent_orders}


async def prefetch_customers(info: Info, nodes: Sequence[CustomerType]) -> None:
    await prefetch(info, nodes, FILLS)
