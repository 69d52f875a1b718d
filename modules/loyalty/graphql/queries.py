"""loyaltyProgram: the tenant's program with its rules and tiers."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.graphql.permissions import Requires
from modules.loyalty.graphql.program import program_view
from modules.loyalty.graphql.types import PROGRAM_READ, ProgramType
from modules.loyalty.services import get_program


@strawberry.type
class LoyaltyQuery:
    @strawberry.field(permission_classes=[Requires(*PROGRAM_READ)], description="Null until it is set up.")
    async def loyalty_program(self, info: Info) -> ProgramType | None:
        program = await get_program(info.context.tenant_id)
        return await program_view(program) if program else None
