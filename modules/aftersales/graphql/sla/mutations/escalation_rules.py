"""createEscalationRule, updateEscalationRule, deleteEscalationRule."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import ScopedNode, decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.aftersales import models
from modules.aftersales.graphql.sla.types import EscalationRuleType, input_values
from modules.aftersales.services.sla import escalation_rules
from modules.team.graphql.types import TeamType, UserType

WRITE = [Requires("aftersales.settings", "write")]
IDS: dict[str, type[ScopedNode]] = {"team_id": TeamType, "reassign_team_id": TeamType, "reassign_user_id": UserType}
NULLABLE = frozenset(IDS)


@strawberry.input(description="At least one action: notify, reassignUserId, reassignTeamId, raisePriority.")
class CreateEscalationRuleInput:
    name: str
    trigger: str = strawberry.field(default="breached", description="breached or due_soon.")
    within_minutes: int = strawberry.field(default=0, description="due_soon: wall-clock minutes before the deadline.")
    clock: str = strawberry.field(default="any", description="any, first_response, next_response or resolution.")
    priorities: list[str] = strawberry.field(default_factory=list, description="Empty: any priority.")
    team_id: strawberry.ID | None = strawberry.field(default=None, description="Only tickets of this team.")
    notify: bool = False
    reassign_user_id: strawberry.ID | None = None
    reassign_team_id: strawberry.ID | None = None
    raise_priority: bool = False
    position: int = 0
    active: bool = True


@strawberry.input(description="Omitted fields are left as they are.")
class UpdateEscalationRuleInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    trigger: str | None = strawberry.UNSET
    within_minutes: int | None = strawberry.UNSET
    clock: str | None = strawberry.UNSET
    priorities: list[str] | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    notify: bool | None = strawberry.UNSET
    reassign_user_id: strawberry.ID | None = strawberry.UNSET
    reassign_team_id: strawberry.ID | None = strawberry.UNSET
    raise_priority: bool | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.input
class DeleteEscalationRuleInput:
    id: strawberry.ID


@strawberry.type
class EscalationRulePayload:
    rule: EscalationRuleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteEscalationRulePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(result: tuple[models.EscalationRule | None, list[UserError]]) -> EscalationRulePayload:
    row, errors = result
    return EscalationRulePayload(rule=EscalationRuleType.from_row(row) if row else None, errors=errors)


@strawberry.type
class EscalationRuleMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_escalation_rule(self, info: Info, input: CreateEscalationRuleInput  # noqa: A002
                                     ) -> EscalationRulePayload:
        async def run() -> models.EscalationRule:
            return await escalation_rules.create_rule(info.context.require_principal(),
                                                      input_values(input, IDS, NULLABLE))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_escalation_rule(self, info: Info, input: UpdateEscalationRuleInput  # noqa: A002
                                     ) -> EscalationRulePayload:
        async def run() -> models.EscalationRule:
            return await escalation_rules.update_rule(info.context.require_principal(),
                                                      decode_id(input.id, EscalationRuleType, "id"),
                                                      input_values(input, IDS, NULLABLE))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE, description="Escalations it fired stay on their tickets.")
    async def delete_escalation_rule(self, info: Info, input: DeleteEscalationRuleInput  # noqa: A002
                                     ) -> DeleteEscalationRulePayload:
        async def run() -> strawberry.ID:
            pk = decode_id(input.id, EscalationRuleType, "id")
            await escalation_rules.delete_rule(info.context.require_principal(), pk)
            return to_global_id(EscalationRuleType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteEscalationRulePayload(deleted_id=deleted, errors=errors)
