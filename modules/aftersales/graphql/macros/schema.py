"""The aftersales GraphQL part for macros (canned replies): list, preview for a ticket, edit, apply."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.pagination import Connection, Ordering, page_size, paginate
from core.graphql.permissions import Requires
from core.registry import GraphQLContribution
from core.tenancy import scoped
from modules.aftersales import models
from modules.aftersales.graphql.macros.mutations.macros import MacroMutations
from modules.aftersales.graphql.macros.types import MacroType, RenderedMacroType
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.services.macros import macros, templates

READ = [Requires("aftersales.ticket", "read")]


@strawberry.type
class RenderMacroPayload:
    rendered: RenderedMacroType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MacroQuery:
    @strawberry.field(permission_classes=READ, description="By name.")
    async def macros(self, info: Info, first: int | None = None, after: str | None = None,
                     active: bool | None = None) -> Connection[MacroType]:
        s = info.context.rt.settings
        qs = scoped(models.Macro, info.context.tenant_id)
        if active is not None:
            qs = qs.filter(active=active)
        return await paginate(qs, first=page_size(first, s.default_page_size, s.max_page_size, info.context.locale),
                              after=after, ordering=Ordering("name"), to_node=MacroType.from_row,
                              locale=info.context.locale)

    @strawberry.field(permission_classes=READ, description="The placeholders a macro template may use.")
    def macro_placeholders(self) -> list[str]:
        return templates.placeholders()

    @strawberry.field(permission_classes=READ, description="The macro filled in for a ticket, as applyMacro "
                      "would send it (nothing is sent).")
    async def render_macro(self, info: Info, macro_id: strawberry.ID, ticket_id: strawberry.ID) -> RenderMacroPayload:
        async def run() -> RenderedMacroType:
            principal = info.context.require_principal()
            r = await macros.render(principal, decode_id(macro_id, MacroType, "macroId"),
                                    decode_id(ticket_id, TicketType, "ticketId"))
            return RenderedMacroType(language=r.language, subject=r.subject, body=r.body)
        rendered, errors = await attempt(info, run())
        return RenderMacroPayload(rendered=rendered, errors=errors)


contribution = GraphQLContribution(queries=[MacroQuery], mutations=[MacroMutations], types=[MacroType])
