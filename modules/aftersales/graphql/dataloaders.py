"""Per-request loaders for tickets: a page of tickets with their customer, order, assignee, team,
tags and last message costs the same few queries whatever its size."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info
from tortoise.functions import Max

from core.graphql.loaders import loader_grouped, rows_by_id
from core.tenancy import scoped
from modules.aftersales.models import TicketMessage, TicketOrderLine, TicketTag
from modules.crm.models import Customer, Order, OrderLine
from modules.team.models import Team


async def _tags(tid: int, ids: list[int]) -> list[tuple[int, Any]]:
    rows = await scoped(TicketTag, tid).filter(ticket_id__in=ids).order_by("name").values_list("ticket_id", "name")
    return [(t, n) for t, n in rows]


async def _last_messages(tid: int, ids: list[int]) -> list[tuple[int, Any]]:
    """The newest message of each ticket: the highest id per ticket, then those rows (2 queries)."""
    newest = await (scoped(TicketMessage, tid).filter(ticket_id__in=ids).annotate(last=Max("id"))
                    .group_by("ticket_id").values_list("last", flat=True))
    return [(m.ticket_id, m) for m in await scoped(TicketMessage, tid).filter(id__in=list(newest))]


async def _order_lines(tid: int, ids: list[int]) -> list[tuple[int, Any]]:
    links = await scoped(TicketOrderLine, tid).filter(ticket_id__in=ids).values_list("ticket_id", "order_line_id")
    lines = {r.id: r for r in await scoped(OrderLine, tid).filter(id__in={line for _, line in links})}
    return [(t, lines[line]) for t, line in sorted(links, key=lambda p: p[1]) if line in lines]


def customers(info: Info) -> DataLoader[int, Any]:
    return rows_by_id(info, Customer)


def orders(info: Info) -> DataLoader[int, Any]:
    return rows_by_id(info, Order)


def teams(info: Info) -> DataLoader[int, Any]:
    return rows_by_id(info, Team)


def tags(info: Info) -> DataLoader[int, list[Any]]:
    return loader_grouped(info, "aftersales.ticket_tags", _tags)


def last_messages(info: Info) -> DataLoader[int, list[Any]]:
    return loader_grouped(info, "aftersales.last_messages", _last_messages)


def order_lines(info: Info) -> DataLoader[int, list[Any]]:
    return loader_grouped(info, "aftersales.ticket_order_lines", _order_lines)
