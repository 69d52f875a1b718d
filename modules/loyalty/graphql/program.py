"""Reading the program whole: the tenant's program with its rules and tiers."""

from __future__ import annotations

from core.tenancy import scoped
from modules.loyalty.graphql.types import ProgramType
from modules.loyalty.models import EarnRule, Program
from modules.loyalty.services.tiers import program_tiers


async def program_view(program: Program) -> ProgramType:
    rules = await scoped(EarnRule, program.tenant_id).filter(program_id=program.id).order_by("id")
    return ProgramType.of(program, rules, await program_tiers(program))
