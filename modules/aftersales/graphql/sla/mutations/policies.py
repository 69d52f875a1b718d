"""createSlaPolicy, updateSlaPolicy, deleteSlaPolicy."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.aftersales import models
from modules.aftersales.graphql.sla.types import SlaPolicyType, input_values
from modules.aftersales.services.sla import policies as sla_policies
from modules.aftersales.services.sla.policies import TARGETS

WRITE = [Requires("aftersales.settings", "write")]
NULLABLE = frozenset(TARGETS)


@strawberry.input(description="Targets in business minutes; null: that clock does not run (at least one target).")
class CreateSlaPolicyInput:
    name: str
    position: int = 0
    active: bool = True
    priorities: list[str] = strawberry.field(default_factory=list, description="low, normal, high, urgent.")
    tiers: list[str] = strawberry.field(default_factory=list, description="standard, silver, gold, vip.")
    channels: list[str] = strawberry.field(default_factory=list)
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None


@strawberry.input(description="Omitted fields are left as they are; a target set to null stops that clock.")
class UpdateSlaPolicyInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    priorities: list[str] | None = strawberry.UNSET
    tiers: list[str] | None = strawberry.UNSET
    channels: list[str] | None = strawberry.UNSET
    first_response_minutes: int | None = strawberry.UNSET
    next_response_minutes: int | None = strawberry.UNSET
    resolution_minutes: int | None = strawberry.UNSET


@strawberry.input
class DeleteSlaPolicyInput:
    id: strawberry.ID


@strawberry.type
class SlaPolicyPayload:
    policy: SlaPolicyType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSlaPolicyPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(result: tuple[models.SlaPolicy | None, list[UserError]]) -> SlaPolicyPayload:
    row, errors = result
    return SlaPolicyPayload(policy=SlaPolicyType.from_row(row) if row else None, errors=errors)


@strawberry.type
class SlaPolicyMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_sla_policy(self, info: Info, input: CreateSlaPolicyInput) -> SlaPolicyPayload:  # noqa: A002
        return _payload(await attempt(info, sla_policies.create_policy(
            info.context.require_principal(), input_values(input, {}, NULLABLE))))

    @strawberry.mutation(permission_classes=WRITE, description="Running deadlines keep the targets they started with.")
    async def update_sla_policy(self, info: Info, input: UpdateSlaPolicyInput) -> SlaPolicyPayload:  # noqa: A002
        async def run() -> models.SlaPolicy:
            return await sla_policies.update_policy(info.context.require_principal(),
                                                    decode_id(input.id, SlaPolicyType, "id"),
                                                    input_values(input, {}, NULLABLE))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_sla_policy(self, info: Info, input: DeleteSlaPolicyInput) -> DeleteSlaPolicyPayload:  # noqa: A002
        async def run() -> strawberry.ID:
            pk = decode_id(input.id, SlaPolicyType, "id")
            await sla_policies.delete_policy(info.context.require_principal(), pk)
            return to_global_id(SlaPolicyType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteSlaPolicyPayload(deleted_id=deleted, errors=errors)
