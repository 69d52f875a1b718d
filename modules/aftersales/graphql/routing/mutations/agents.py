"""setAgentAvailability (an agent's on-shift toggle and capacity) and setDedicatedAgent (VIP care)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Requires
from modules.aftersales.graphql.routing.mutations.conditions import kept
from modules.aftersales.services.routing import assignment as routing
from modules.crm.graphql.types import CustomerType
from modules.team.graphql.types import UserType


@strawberry.input
class SetAgentAvailabilityInput:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="Omit for yourself.")
    available: bool | None = strawberry.field(default=None, description="Takes new tickets; omit to keep.")
    max_open_tickets: int | None = strawberry.field(
        default=strawberry.UNSET, description="Supervisors only; null for no limit, omit to keep.")


@strawberry.input
class SetDedicatedAgentInput:
    customer_id: strawberry.ID
    user_id: strawberry.ID | None = strawberry.field(description="Null takes the dedicated agent away.")


@strawberry.type
class AgentPayload:
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DedicatedAgentPayload:
    customer: CustomerType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AgentMutations:
    @strawberry.mutation(
        permission_classes=[Requires("aftersales.ticket", "read")],
        description="Any agent for themselves; someone else, or a capacity, needs aftersales.settings:write.")
    async def set_agent_availability(self, info: Info, input: SetAgentAvailabilityInput) -> AgentPayload:  # noqa: A002
        ctx = info.context

        async def run() -> UserType:
            principal = ctx.require_principal()
            user_id = principal.user_id if input.user_id is None else decode_id(input.user_id, UserType, "userId")
            may_manage = await ctx.rt.access.allowed(principal.user_id, principal.tenant_id,
                                                     "aftersales.settings", "write")
            await routing.set_availability(principal, user_id, input.available,
                                           kept(input.max_open_tickets, nullable=True), may_manage)
            return UserType.from_row(await UserType.scope(ctx.tenant_id).get(id=user_id))
        user, errors = await attempt(info, run())
        return AgentPayload(user=user, errors=errors)

    @strawberry.mutation(permission_classes=[Requires("aftersales.settings", "write")],
                         description="The customer's new tickets go straight to this agent.")
    async def set_dedicated_agent(self, info: Info, input: SetDedicatedAgentInput) -> DedicatedAgentPayload:  # noqa: A002
        async def run() -> CustomerType:
            customer = await routing.set_dedicated_agent(
                info.context.require_principal(), decode_id(input.customer_id, CustomerType, "customerId"),
                None if input.user_id is None else decode_id(input.user_id, UserType, "userId"))
            return CustomerType.from_row(customer)
        customer, errors = await attempt(info, run())
        return DedicatedAgentPayload(customer=customer, errors=errors)
