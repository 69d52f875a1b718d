"""createKbArticle, updateKbArticle, publishKbArticle, deleteKbArticle."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.aftersales import models
from modules.aftersales.graphql.kb.types import KbArticleType, KbCategoryType
from modules.aftersales.services.kb import articles as kb

WRITE = [Requires("aftersales.kb", "write")]


@strawberry.input(description="One language version of an article.")
class KbTranslationInput:
    language: str = strawberry.field(description="BCP 47 (de, de-DE): stored as its primary tag.")
    title: str
    body: str = strawberry.field(description="Markdown or plain text.")
    published: bool | None = strawberry.field(
        default=None, description="Omitted: a new version is a draft, an existing one keeps its state.")


@strawberry.input
class CreateKbArticleInput:
    translations: list[KbTranslationInput]
    category_id: strawberry.ID | None = None
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="Omitted fields are left as they are. Given translations are added or "
                              "replaced by language; removeLanguages are deleted.")
class UpdateKbArticleInput:
    id: strawberry.ID
    category_id: strawberry.ID | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    translations: list[KbTranslationInput] = strawberry.field(default_factory=list)
    remove_languages: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class PublishKbArticleInput:
    id: strawberry.ID
    language: str
    published: bool = True


@strawberry.input
class DeleteKbArticleInput:
    id: strawberry.ID


@strawberry.type
class KbArticlePayload:
    article: KbArticleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteKbArticlePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(result: tuple[models.KbArticle | None, list[UserError]]) -> KbArticlePayload:
    row, errors = result
    return KbArticlePayload(article=KbArticleType.from_row(row) if row else None, errors=errors)


def _translations(items: list[KbTranslationInput]) -> list[kb.TranslationInput]:
    return [kb.TranslationInput(t.language, t.title, t.body, t.published) for t in items]


def _category(value: strawberry.ID | None) -> int | None:
    return decode_id(value, KbCategoryType, "categoryId") if value is not None else None


@strawberry.type
class KbArticleMutations:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_kb_article(self, info: Info, input: CreateKbArticleInput) -> KbArticlePayload:  # noqa: A002
        async def run() -> models.KbArticle:
            return await kb.create_article(info.context.require_principal(), _translations(input.translations),
                                           _category(input.category_id), input.tags)
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_kb_article(self, info: Info, input: UpdateKbArticleInput) -> KbArticlePayload:  # noqa: A002
        async def run() -> models.KbArticle:
            return await kb.update_article(
                info.context.require_principal(), decode_id(input.id, KbArticleType, "id"),
                category_id=kb.UNSET if input.category_id is strawberry.UNSET else _category(input.category_id),
                tags=kb.UNSET if input.tags is strawberry.UNSET or input.tags is None else input.tags,
                translations=_translations(input.translations), remove_languages=input.remove_languages)
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE, description="Publish or withdraw one language version.")
    async def publish_kb_article(self, info: Info, input: PublishKbArticleInput) -> KbArticlePayload:  # noqa: A002
        async def run() -> models.KbArticle:
            return await kb.set_published(info.context.require_principal(), decode_id(input.id, KbArticleType, "id"),
                                          input.language, input.published)
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_kb_article(self, info: Info, input: DeleteKbArticleInput) -> DeleteKbArticlePayload:  # noqa: A002
        async def run() -> strawberry.ID:
            pk = decode_id(input.id, KbArticleType, "id")
            await kb.delete_article(info.context.require_principal(), pk)
            return to_global_id(KbArticleType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteKbArticlePayload(deleted_id=deleted, errors=errors)
