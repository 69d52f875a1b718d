"""setLoyaltyProgram: create or change the tenant's points program, checked whole."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.permissions import Requires
from modules.loyalty.graphql.program import program_view
from modules.loyalty.graphql.types import ProgramType
from modules.loyalty.services import ProgramInput, set_program


@strawberry.input(description="The whole program: omitted fields take their defaults.")
class SetLoyaltyProgramInput:
    currency: str
    name: str = ""
    pending_days: int = 0
    expiry_policy: str = strawberry.field(default="none", description="none, per_lot or inactivity.")
    expiry_days: int = 0
    negative_policy: str = strawberry.field(default="debt", description="debt or cap.")
    tier_basis: str = strawberry.field(default="points", description="points or spend.")
    tier_window: str = strawberry.field(default="rolling_12m", description="rolling_12m or calendar_year.")
    enabled: bool = True


@strawberry.type
class LoyaltyProgramPayload:
    program: ProgramType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(permission_classes=[Requires("loyalty.program", "write")])
    async def set_loyalty_program(self, info: Info, input: SetLoyaltyProgramInput  # noqa: A002
                                  ) -> LoyaltyProgramPayload:
        async def run() -> ProgramType:
            data = ProgramInput(**{k: getattr(input, k) for k in ProgramInput.__dataclass_fields__})
            return await program_view(await set_program(info.context.require_principal(), data))
        program, errors = await attempt(info, run())
        return LoyaltyProgramPayload(program=program, errors=errors)
