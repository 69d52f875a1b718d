"""Segments: segments (each with a live count), segmentPreview, createSegment, updateSegment, deleteSegment."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import ClientError, UserError, UserFacingErrors, user_errors
from core.graphql.mutations import attempt
from core.graphql.node import ScopedNode, decode_id, to_global_id
from core.graphql.permissions import Requires
from core.i18n import N_
from core.tenancy import scoped
from modules.crm import models
from modules.crm.graphql import dataloaders
from modules.crm.graphql.types import CustomerType
from modules.crm.services import segments
from modules.crm.services.rules import tag_values, with_tags
from modules.crm.services.segments import UNSET

READ = [Requires("crm.customer", "read")]
WRITE = [Requires("crm.customer", "write")]
PREVIEW_SIZE = 20
BROKEN = N_("This segment's rule cannot be evaluated: correct it and save it again.")
RULE_HELP = ('{"all"|"any": [rule, ...]} | {"not": rule} | {"field", "op", "value"}; see the crm docs for '
             "fields and ops.")


@strawberry.type(name="Segment")
class SegmentType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    created_at: datetime
    updated_at: datetime
    stored_rule: strawberry.Private[Any]
    read_permission = ("crm.customer", "read")
    model = models.Segment

    @classmethod
    def from_row(cls, row: models.Segment) -> Self:
        return cls(id=row.id, name=row.name, stored_rule=row.rule, created_at=row.created_at,
                   updated_at=row.updated_at)

    @strawberry.field(description=RULE_HELP + " Tags are shown by their current name.")
    async def rule(self, info: Info) -> JSON:
        ids = [v for v in tag_values(self.stored_rule) if isinstance(v, int)]
        names = await dataloaders.tag_names(info).load_many(ids)
        return with_tags(self.stored_rule, {i: n for i, n in zip(ids, names, strict=True) if n is not None})

    @strawberry.field(description="How many customers match now (counted in SQL at each request); null, with "
                                  "an error at its path, when the stored rule cannot be evaluated (save it again).")
    async def count(self, info: Info) -> int | None:
        try:
            return await segments.count(info.context.tenant_id, cast(dict[str, Any], self.stored_rule))
        except segments.BrokenRule:
            raise ClientError("SEGMENT_BROKEN", BROKEN, info.context.locale, domain="crm") from None


@strawberry.type
class SegmentPreview:
    count: int = 0
    customers: list[CustomerType] = strawberry.field(default_factory=list, description="The newest 20.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateSegmentInput:
    name: str
    rule: JSON = strawberry.field(description=RULE_HELP)


@strawberry.input(description="Omitted fields are left as they are.")
class UpdateSegmentInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    rule: JSON | None = strawberry.UNSET


@strawberry.input
class DeleteSegmentInput:
    id: strawberry.ID


@strawberry.type
class SegmentPayload:
    segment: SegmentType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSegmentPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SegmentQuery:
    @strawberry.field(permission_classes=READ, description=f"All of the account's segments, by name: a plain list, "
                                                           f"as an account has at most {segments.MAX_SEGMENTS}.")
    async def segments(self, info: Info) -> list[SegmentType]:
        rows = await scoped(models.Segment, info.context.tenant_id).order_by("name").limit(segments.MAX_SEGMENTS)
        return [SegmentType.from_row(r) for r in rows]

    @strawberry.field(permission_classes=READ, description="What a rule would select, before saving it.")
    async def segment_preview(self, info: Info, rule: JSON) -> SegmentPreview:
        tid = info.context.tenant_id
        stored, errors = await segments.resolve_rule(tid, rule)
        if errors:
            return SegmentPreview(errors=user_errors(UserFacingErrors(errors), info.context.locale))
        qs = segments.matching(tid, cast(dict[str, Any], stored))
        rows = await qs.order_by("-created_at", "-id").limit(PREVIEW_SIZE)
        return SegmentPreview(count=await qs.count(), customers=[CustomerType.from_row(r) for r in rows])


def _payload(result: tuple[models.Segment | None, list[UserError]]) -> SegmentPayload:
    row, errors = result
    return SegmentPayload(segment=SegmentType.from_row(row) if row else None, errors=errors)


@strawberry.type
class SegmentMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_segment(self, info: Info, input: CreateSegmentInput) -> SegmentPayload:  # noqa: A002
        return _payload(await attempt(info, segments.create_segment(
            info.context.require_principal(), input.name, input.rule)))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_segment(self, info: Info, input: UpdateSegmentInput) -> SegmentPayload:  # noqa: A002
        async def run() -> models.Segment:
            return await segments.update_segment(
                info.context.require_principal(), decode_id(input.id, SegmentType, "id"),
                name=UNSET if input.name is strawberry.UNSET else input.name,
                rule=UNSET if input.rule is strawberry.UNSET else input.rule)
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_segment(self, info: Info, input: DeleteSegmentInput) -> DeleteSegmentPayload:  # noqa: A002
        async def run() -> strawberry.ID:
            pk = decode_id(input.id, SegmentType, "id")
            await segments.delete_segment(info.context.require_principal(), pk)
            return to_global_id(SegmentType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteSegmentPayload(deleted_id=deleted, errors=errors)
