"""GraphQL types of macros (canned replies): the macro, its language variants, its actions, a preview."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import rows_grouped
from core.graphql.node import ScopedNode
from modules.aftersales import models


@strawberry.type(name="MacroVariant", description="The reply in one language: templates with placeholders.")
class MacroVariantType:
    language: str
    subject: str | None
    body: str


@strawberry.type(name="MacroActions")
class MacroActionsType:
    status: str | None
    priority: str | None
    add_tags: list[str]


def variants_by_macro(info: Info) -> DataLoader[int, list[models.MacroVariant]]:
    return rows_grouped(info, models.MacroVariant, "macro_id", ("language",))


@strawberry.type(name="Macro")
class MacroType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Macro]
    read_permission = ("aftersales.ticket", "read")
    model = models.Macro

    @classmethod
    def from_row(cls, row: models.Macro) -> Self:
        return cls(id=row.id, name=row.name, active=row.active, created_at=row.created_at,
                   updated_at=row.updated_at, row=row)

    @strawberry.field
    def actions(self) -> MacroActionsType:
        a = self.row.actions or {}
        return MacroActionsType(status=a.get("status"), priority=a.get("priority"), add_tags=a.get("add_tags", []))

    @strawberry.field
    async def variants(self, info: Info) -> list[MacroVariantType]:
        return [MacroVariantType(language=v.language, subject=v.subject, body=v.body)
                for v in await variants_by_macro(info).load(self.id)]


@strawberry.type(name="RenderedMacro", description="A macro filled in for one ticket (nothing is sent).")
class RenderedMacroType:
    language: str = strawberry.field(description="The variant chosen: the customer's language, the "
                                     "tenant's, English, else any.")
    subject: str | None
    body: str
