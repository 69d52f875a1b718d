"""Root fields that belong to the API as a whole rather than to a module."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.graphql.node import resolve_global_id
from core.graphql.permissions import Authenticated


@strawberry.type
class CoreQuery:
    @strawberry.field(
        permission_classes=[Authenticated],
        description="Any object by its global ID; null when it does not exist in your tenant.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:  # noqa: A002
        return await resolve_global_id(info, str(id))
