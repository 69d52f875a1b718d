"""createKbCategory, updateKbCategory, deleteKbCategory."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.aftersales import models
from modules.aftersales.graphql.kb.types import KbCategoryType
from modules.aftersales.services.kb import articles as kb

WRITE = [Requires("aftersales.kb", "write")]


@strawberry.input
class CreateKbCategoryInput:
    name: str
    position: int = 0
    parent_id: strawberry.ID | None = None


@strawberry.input(description="Omitted fields are left as they are; parentId null moves it to the top.")
class UpdateKbCategoryInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class DeleteKbCategoryInput:
    id: strawberry.ID


@strawberry.type
class KbCategoryPayload:
    category: KbCategoryType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteKbCategoryPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(result: tuple[models.KbCategory | None, list[UserError]]) -> KbCategoryPayload:
    row, errors = result
    return KbCategoryPayload(category=KbCategoryType.from_row(row) if row else None, errors=errors)


def _parent(value: strawberry.ID | None) -> int | None:
    return decode_id(value, KbCategoryType, "parentId") if value is not None else None


@strawberry.type
class KbCategoryMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_kb_category(self, info: Info, input: CreateKbCategoryInput) -> KbCategoryPayload:  # noqa: A002
        async def run() -> models.KbCategory:
            return await kb.create_category(info.context.require_principal(), input.name, input.position,
                                            _parent(input.parent_id))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_kb_category(self, info: Info, input: UpdateKbCategoryInput) -> KbCategoryPayload:  # noqa: A002
        async def run() -> models.KbCategory:
            return await kb.update_category(
                info.context.require_principal(), decode_id(input.id, KbCategoryType, "id"),
                name=kb.UNSET if input.name is strawberry.UNSET else input.name,
                position=kb.UNSET if input.position is strawberry.UNSET else input.position,
                parent_id=kb.UNSET if input.parent_id is strawberry.UNSET else _parent(input.parent_id))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE, description="Its articles stay, without a category.")
    async def delete_kb_category(self, info: Info, input: DeleteKbCategoryInput  # noqa: A002
                                 ) -> DeleteKbCategoryPayload:
        async def run() -> strawberry.ID:
            pk = decode_id(input.id, KbCategoryType, "id")
            await kb.delete_category(info.context.require_principal(), pk)
            return to_global_id(KbCategoryType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteKbCategoryPayload(deleted_id=deleted, errors=errors)
