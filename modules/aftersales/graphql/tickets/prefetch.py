"""A page of tickets (the inbox) loads what the query asks of them in one go (core.graphql.selection):
customer, assignee, team, tags and last message run the same statements the DataLoaders would, all
at once, and the fields then resolve synchronously from `TicketType.prefetched`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from core.graphql.selection import Fill, prefetch
from modules.aftersales.graphql import dataloaders
from modules.aftersales.graphql.types import TicketMessageType, TicketType
from modules.crm.graphql.types import CustomerType
from modules.team.graphql import dataloaders as team_loaders
from modules.team.graphql.types import TeamType, UserType


def _node(field: str, column: str, loader: Callable[[Info], DataLoader[int, Any]], node_type: Any) -> Fill:
    """The node a ticket's `column` names (None where it names none, or one that is gone)."""
    async def fill(info: Info, nodes: Sequence[Any], _: list[SelectedField]) -> None:
        ids = sorted({i for n in nodes if (i := getattr(n.row, column)) is not None})
        rows = dict(zip(ids, await loader(info).load_many(ids), strict=True))
        for node in nodes:
            row = rows.get(getattr(node.row, column))
            node.prefetched[field] = node_type.from_row(row) if row is not None else None
    return fill


async def _tags(info: Info, nodes: Sequence[Any], _: list[SelectedField]) -> None:
    for node, names in zip(nodes, await dataloaders.tags(info).load_many([n.id for n in nodes]), strict=True):
        node.prefetched["tags"] = list(names)


async def _last_message(info: Info, nodes: Sequence[Any], _: list[SelectedField]) -> None:
    lists = await dataloaders.last_messages(info).load_many([n.id for n in nodes])
    for node, rows in zip(nodes, lists, strict=True):
        node.prefetched["lastMessage"] = TicketMessageType.from_row(rows[0]) if rows else None


FILLS: dict[str, Fill] = {
    "customer": _node("customer", "customer_id", dataloaders.customers, CustomerType),
    "assignee": _node("assignee", "assignee_id", team_loaders.users_by_id, UserType),
    "team": _node("team", "team_id", dataloaders.teams, TeamType),
    "tags": _tags,
    "lastMessage": _last_message,
}


async def prefetch_tickets(info: Info, nodes: Sequence[TicketType]) -> None:
    await prefetch(info, nodes, FILLS)
