"""Knowledge-base node types (KbCategory, KbArticle), the translation type and search results.

Drafts are for writers: a caller without aftersales.kb:write sees only published translations,
and an article none of whose translations is published does not exist for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import rows_grouped
from core.graphql.node import ScopedNode, to_global_id
from core.tenancy import scoped
from modules.aftersales import models
from modules.aftersales.services.kb import search as kb_search

KB_READ = ("aftersales.kb", "read")


async def can_write(info: Info) -> bool:
    """Whether the caller may see drafts (aftersales.kb:write); cached by the access layer."""
    ctx = info.context
    principal = ctx.require_principal()
    return bool(await ctx.rt.access.allowed(principal.user_id, principal.tenant_id, "aftersales.kb", "write"))


def translations_loader(info: Info) -> DataLoader[int, list[models.KbArticleTranslation]]:
    """Every translation of a page's articles in one query."""
    return rows_grouped(info, models.KbArticleTranslation, "article_id", ("language",))


@strawberry.type(name="KbCategory")
class KbCategoryType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    position: int
    parent_id: strawberry.ID | None = strawberry.field(description="The parent category, if any.")
    created_at: datetime
    updated_at: datetime
    read_permission = KB_READ
    model = models.KbCategory

    @classmethod
    def from_row(cls, row: models.KbCategory) -> Self:
        parent = to_global_id(cls, row.parent_id) if row.parent_id is not None else None
        return cls(id=row.id, name=row.name, position=row.position, parent_id=parent, created_at=row.created_at,
                   updated_at=row.updated_at)


@strawberry.type(name="KbArticleTranslation")
class KbArticleTranslationType:
    language: str = strawberry.field(description="BCP 47 primary tag: en, de, zh.")
    title: str
    body: str = strawberry.field(description="Markdown or plain text.")
    published: bool
    published_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.KbArticleTranslation) -> Self:
        return cls(language=row.language, title=row.title, body=row.body, published=row.published,
                   published_at=row.published_at, updated_at=row.updated_at)


@strawberry.type(name="KbArticle")
class KbArticleType(ScopedNode):
    id: relay.NodeID[int]
    category_id: strawberry.ID | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    read_permission = KB_READ
    model = models.KbArticle

    @classmethod
    def from_row(cls, row: models.KbArticle) -> Self:
        category = to_global_id(KbCategoryType, row.category_id) if row.category_id is not None else None
        return cls(id=row.id, category_id=category, tags=list(row.tags), created_at=row.created_at,
                   updated_at=row.updated_at)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        nodes = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        if await can_write(info):
            return nodes
        ids = [n.id for n in nodes if n is not None]
        visible = set(await scoped(models.KbArticleTranslation, info.context.tenant_id)
                      .filter(article_id__in=ids, published=True).values_list("article_id", flat=True))
        return [n if n is not None and n.id in visible else None for n in nodes]

    @strawberry.field(description="One per language; drafts only for writers.")
    async def translations(self, info: Info) -> list[KbArticleTranslationType]:
        rows = await translations_loader(info).load(self.id)
        drafts = await can_write(info)
        return [KbArticleTranslationType.from_row(r) for r in rows if drafts or r.published]

    @strawberry.field(description="The version in one language (BCP 47 primary tag), if there is one.")
    async def translation(self, info: Info, language: str) -> KbArticleTranslationType | None:
        wanted = language.split("-", 1)[0].lower()
        return next((t for t in await self.translations(info) if t.language == wanted), None)


@strawberry.type(name="KbSearchResult")
class KbSearchResult:
    read_permission = KB_READ  # reached only through searchKbArticles
    article: KbArticleType
    translation: KbArticleTranslationType = strawberry.field(description="The version that matched.")
    score: float = strawberry.field(description="Relevance, higher first; compare within one result only.")


async def search_results(info: Info, found: Iterable[kb_search.Found]) -> list[KbSearchResult]:
    """Search hits with their articles, loaded in one query."""
    items = list(found)
    ids = {f.translation.article_id for f in items}
    articles = {a.id: a for a in await scoped(models.KbArticle, info.context.tenant_id).filter(id__in=ids)}
    return [KbSearchResult(article=KbArticleType.from_row(articles[f.translation.article_id]),
                           translation=KbArticleTranslationType.from_row(f.translation), score=f.score)
            for f in items if f.translation.article_id in articles]
