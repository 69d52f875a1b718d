"""The Ticket node type, shared by every aftersales GraphQL part (tickets, macros, SLA, KB, live)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from core.graphql.node import ScopedNode
from modules.aftersales import models


@strawberry.type(name="Ticket")
class TicketType(ScopedNode):
    id: relay.NodeID[int]
    number: int
    type: str
    channel: str
    subject: str
    language: str
    status: str
    priority: str
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    sla_breached: bool
    row: strawberry.Private[models.Ticket]
    read_permission = ("aftersales.ticket", "read")
    model = models.Ticket

    @classmethod
    def from_row(cls, row: models.Ticket) -> Self:
        return cls(id=row.id, number=row.number, type=row.type, channel=row.channel, subject=row.subject,
                   language=row.language, status=row.status, priority=row.priority, created_at=row.created_at,
                   updated_at=row.updated_at, first_response_due=row.first_response_due,
                   next_response_due=row.next_response_due, resolution_due=row.resolution_due,
                   sla_breached=row.sla_breached, row=row)
