"""The help center: the tenant's published knowledge base articles, categories and search.

Each article comes once, in the first language it is published in among: the `language` argument,
the caller's Accept-Language, the shop's default language, English; else in any it is published
in (`language` says which). Drafts never show (aftersales.services.kb.published).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.types import Info

from core import validation
from core.errors import UserFacingError
from core.graphql.pagination import page_size
from core.i18n import N_
from modules.aftersales.services import (
    Published,
    list_categories,
    published_article,
    published_articles,
    reader_languages,
    search_published,
)
from modules.portal.context import PortalContext
from modules.portal.errors import client_error, query_error
from modules.portal.graphql import slugs
from modules.portal.graphql.ids import query_id

MAX_PAGE = 20
ONE_OF_ID_OR_SLUG = N_("Give the article's id or its slug.")


@strawberry.type(description="A knowledge base category; parentId and children give the tree.")
class HelpCategory:
    id: strawberry.ID
    name: str
    position: int
    parent_id: strawberry.ID | None
    tree: strawberry.Private[dict[int | None, list[HelpCategory]]]

    @strawberry.field(description="Its sub-categories, by position then name.")
    def children(self) -> list[HelpCategory]:
        return self.tree.get(int(self.id), [])


@strawberry.type(description="A published article, in one language.")
class HelpArticle:
    id: strawberry.ID
    slug: str = strawberry.field(description="For the page's URL: `<id>-<title words>`; helpArticle(slug:) reads it.")
    category_id: strawberry.ID | None
    tags: list[str]
    language: str = strawberry.field(description="The language shown (BCP 47 primary tag).")
    languages: list[str] = strawberry.field(description="Every language the article is published in.")
    title: str
    body: str = strawberry.field(description="Markdown or plain text.")
    published_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, found: Published) -> Self:
        a, t = found.article, found.translation
        category = strawberry.ID(str(a.category_id)) if a.category_id else None
        return cls(id=strawberry.ID(str(a.id)), slug=slugs.slug(a.id, t.title), category_id=category,
                   tags=list(a.tags), language=t.language, languages=found.languages, title=t.title, body=t.body,
                   published_at=t.published_at, updated_at=max(a.updated_at, t.updated_at))


@strawberry.type(description="A page of articles; pass endCursor as `after` for the next.")
class HelpArticlePage:
    nodes: list[HelpArticle]
    end_cursor: str | None
    has_next_page: bool


def _languages(info: Info, language: str | None) -> list[str]:
    ctx: PortalContext = info.context
    if language:
        try:
            language = validation.language(language, ["language"])
        except UserFacingError as exc:
            raise query_error(exc, ctx.locale) from None
    return reader_languages(language, ctx.reader_language, ctx.shop.locale, "en")


@strawberry.type
class HelpQuery:
    @strawberry.field(description="The top-level categories, by position then name; children hold the rest.")
    async def help_categories(self, info: Info) -> list[HelpCategory]:
        tree: dict[int | None, list[HelpCategory]] = {}
        for row in await list_categories(info.context.shop.id):
            node = HelpCategory(id=strawberry.ID(str(row.id)), name=row.name, position=row.position,
                                parent_id=strawberry.ID(str(row.parent_id)) if row.parent_id else None, tree=tree)
            tree.setdefault(row.parent_id, []).append(node)
        return tree.get(None, [])

    @strawberry.field(description="Published articles, oldest first, each in the best language it has.")
    async def help_articles(self, info: Info, language: str | None = None, category_id: strawberry.ID | None = None,
                            first: int = 10, after: str | None = None) -> HelpArticlePage:
        ctx: PortalContext = info.context
        found, more = await published_articles(
            ctx.shop.id, _languages(info, language), limit=page_size(first, 10, MAX_PAGE, ctx.locale),
            category_id=query_id(category_id, ctx.locale) if category_id is not None else None,
            after_id=query_id(after, ctx.locale) if after else None)
        return HelpArticlePage(nodes=[HelpArticle.of(f) for f in found], has_next_page=more,
                               end_cursor=str(found[-1].article.id) if found else None)

    @strawberry.field(description="One published article by id or by slug; null when there is none.")
    async def help_article(self, info: Info, id: strawberry.ID | None = None, slug: str | None = None,  # noqa: A002
                           language: str | None = None) -> HelpArticle | None:
        ctx: PortalContext = info.context
        if (id is None) == (slug is None):
            raise client_error("INVALID_ARGUMENTS", ONE_OF_ID_OR_SLUG, ctx.locale)
        pk = query_id(id, ctx.locale) if id is not None else slugs.article_id(slug or "")
        found = await published_article(ctx.shop.id, pk, _languages(info, language)) if pk is not None else None
        return HelpArticle.of(found) if found else None

    @strawberry.field(description=(
        "Best matches first among published articles, in the reader's languages first: every word must match; "
        "\"a phrase\" and -word work on PostgreSQL."))
    async def search_help(self, info: Info, query: str, language: str | None = None, first: int = 10
                          ) -> list[HelpArticle]:
        ctx: PortalContext = info.context
        found = await search_published(ctx.shop.id, query[:500], _languages(info, language),
                                       page_size(first, 10, MAX_PAGE, ctx.locale))
        return [HelpArticle.of(f) for f in found]
