"""recomputeCustomerScores: run the nightly RFM and lifecycle computation now, for this tenant."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.graphql.permissions import Requires
from modules.crm.services import rfm


@strawberry.type
class RecomputeScoresPayload:
    scored_customers: int


@strawberry.type
class ScoreMutations:
    @strawberry.mutation(permission_classes=[Requires("crm.customer", "write")],
                         description="Recompute RFM scores and lifecycle stages from the orders, now.")
    async def recompute_customer_scores(self, info: Info) -> RecomputeScoresPayload:
        return RecomputeScoresPayload(scored_customers=await rfm.recompute(info.context.tenant_id))
