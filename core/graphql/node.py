"""Relay Node types whose rows are always reached through the caller's tenant.

A node type says which rows a tenant may see (`scope`), how a row becomes the type (`from_row`)
and which permission reading it needs. `node(id:)` and every ID argument go through here, so a
global ID from another tenant, or of another type, resolves to "not found", never to the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Self

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition
from tortoise.queryset import QuerySet

from core.errors import ClientError, UserFacingError
from core.graphql.permissions import check
from core.i18n import N_
from core.models.tenant import TenantModel
from core.tenancy import scoped


class ScopedNode(relay.Node):
    read_permission: ClassVar[tuple[str, str]]
    # The tenant-owned model behind the type; types over global rows override `scope` instead.
    model: ClassVar[type[TenantModel] | None] = None

    @classmethod
    def scope(cls, tenant_id: int) -> QuerySet[Any]:
        if cls.model is None:
            raise NotImplementedError(f"{cls.__name__} needs a `model` or its own `scope`")
        return scoped(cls.model, tenant_id)

    @classmethod
    def from_row(cls, row: Any) -> Self:
        raise NotImplementedError

    @classmethod
    async def nodes_of(cls, info: Info, rows: Sequence[Any]) -> list[Self]:
        """The nodes of these rows, in order: a type whose nodes need more than their own row (one
        read for the whole list) overrides this, not resolve_nodes."""
        return [cls.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        await check(info, *cls.read_permission)
        wanted = [str(i) for i in node_ids]
        ids = [int(i) for i in wanted if i.isdigit()]
        rows = list(await cls.scope(info.context.tenant_id).filter(id__in=ids))
        nodes = dict(zip([r.id for r in rows], await cls.nodes_of(info, rows), strict=True))
        return [nodes.get(int(i)) if i.isdigit() else None for i in wanted]


def node_type_for(info: Info, type_name: str) -> type[ScopedNode] | None:
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    origin = definition.origin
    if isinstance(origin, type) and issubclass(origin, ScopedNode):
        return origin
    return None


async def resolve_global_id(info: Info, value: str) -> ScopedNode | None:
    try:
        gid = relay.GlobalID.from_id(value)
    except GlobalIDValueError:
        return None
    node_type = node_type_for(info, gid.type_name)
    if node_type is None:
        return None
    (node,) = await node_type.resolve_nodes(info=info, node_ids=[gid.node_id])
    return node


def decode_id(value: strawberry.ID | str, expected: type[ScopedNode], field: str) -> int:
    """The database id inside a global ID of the expected type; a user error otherwise.

    It does not prove the row is the caller's: the service still looks it up in the tenant scope.
    """
    type_name = expected.__strawberry_definition__.name  # type: ignore[attr-defined]
    pk = node_id_of(value, type_name)
    if pk is None:
        raise UserFacingError(
            "INVALID_ID", N_("This is not an ID of type {type}."), field=[field],
            params={"type": type_name},
        )
    return pk


def node_id_of(value: object, type_name: str) -> int | None:
    """The database id inside a global ID of the type named `type_name`, or None."""
    try:
        gid = relay.GlobalID.from_id(str(value))
    except GlobalIDValueError:
        return None
    return int(gid.node_id) if gid.type_name == type_name and gid.node_id.isdigit() else None


def to_global_id(node_type: type[ScopedNode], pk: int) -> strawberry.ID:
    name = node_type.__strawberry_definition__.name  # type: ignore[attr-defined]
    return strawberry.ID(str(relay.GlobalID(name, str(pk))))


def decode_query_id(info: Info, value: strawberry.ID | str, expected: type[ScopedNode], field: str) -> int:
    """`decode_id` for a query's argument: a bad ID is a GraphQL error (queries have no payload)."""
    try:
        return decode_id(value, expected, field)
    except UserFacingError as exc:
        raise ClientError(exc.code, exc.message, info.context.locale, exc.domain, **exc.params) from None
