"""A page of customers loads what the query asks of them in one go (core.graphql.selection):
e-mails, phones, addresses and recent orders run the same statements the DataLoaders would, all
at once, and the fields then resolve synchronously from `CustomerType.prefetched`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from strawberry.types import Info

from core.graphql.selection import int_argument, node_fields
from core.masking import mask_email, mask_phone
from modules.crm.graphql import dataloaders
from modules.crm.graphql.types import MAX_RECENT_ORDERS, CustomerType, OrderType, PostalAddress


async def _contacts(info: Info, nodes: Sequence[CustomerType], kind: str, field: str) -> None:
    lists = await dataloaders.contacts(info, kind).load_many([n.id for n in nodes])
    mask = None if await dataloaders.can_see_pii(info) else (mask_email if kind == "email" else mask_phone)
    for node, rows in zip(nodes, lists, strict=True):
        node.prefetched[field] = [c.value if mask is None else mask(c.value) for c in rows]


async def _addresses(info: Info, nodes: Sequence[CustomerType]) -> None:
    lists = await dataloaders.addresses(info).load_many([n.id for n in nodes])
    for node, rows in zip(nodes, lists, strict=True):
        node.prefetched["addresses"] = [PostalAddress.from_row(a) for a in rows]


async def _recent_orders(info: Info, nodes: Sequence[CustomerType], last: int) -> None:
    lists = await dataloaders.recent_orders(info, last).load_many([n.id for n in nodes])
    for node, rows in zip(nodes, lists, strict=True):
        node.prefetched["recentOrders", last] = [OrderType.from_row(o) for o in rows]


async def prefetch_customers(info: Info, nodes: Sequence[CustomerType]) -> None:
    fields = node_fields(info)
    if not nodes or not fields:
        return
    loads: list[Awaitable[None]] = []
    for kind, field in (("email", "emails"), ("phone", "phones")):
        if field in fields:
            loads.append(_contacts(info, nodes, kind, field))
    if "addresses" in fields:
        loads.append(_addresses(info, nodes))
    lasts = {int_argument(f, "last", 5) for f in fields.get("recentOrders", ())}
    # (a value out of range is left to the field, which says so)
    loads += [_recent_orders(info, nodes, n) for n in lasts if n is not None and 0 <= n <= MAX_RECENT_ORDERS]
    await asyncio.gather(*loads)
