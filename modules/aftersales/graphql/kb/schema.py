"""The knowledge base in GraphQL: kbCategories, kbArticles (keyset), kbArticle, searchKbArticles,
suggestedKbArticles and Ticket.suggestedKbArticles; the mutations are in kb/mutations/.

Root fields are prefixed `kb` because the schema is one namespace for every module.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from strawberry.types import Info
from tortoise.expressions import Subquery

from core.errors import ClientError, UserFacingError
from core.graphql.node import decode_id
from core.graphql.pagination import Connection, Ordering, page_size, paginate
from core.graphql.permissions import Requires, check
from core.registry import GraphQLContribution
from core.tenancy import scoped
from modules.aftersales import models
from modules.aftersales.graphql.kb.mutations.articles import KbArticleMutations
from modules.aftersales.graphql.kb.mutations.categories import KbCategoryMutations
from modules.aftersales.graphql.kb.types import (
    KbArticleType,
    KbCategoryType,
    KbSearchResult,
    can_write,
    search_results,
)
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.services.kb import articles as kb
from modules.aftersales.services.kb import search as kb_search
from modules.aftersales.services.kb import suggest as kb_suggest

READ = [Requires("aftersales.kb", "read")]
MAX_RESULTS = 50
T = TypeVar("T")


async def _or_client_error(info: Info, call: Awaitable[T]) -> T:
    """A query's bad argument is a GraphQL error with the service's code and message."""
    try:
        return await call
    except UserFacingError as exc:
        raise ClientError(exc.code, exc.message, info.context.locale, exc.domain, **exc.params) from None


def _id(info: Info, value: strawberry.ID, expected: type, field: str) -> int:
    try:
        return decode_id(value, expected, field)
    except UserFacingError as exc:
        raise ClientError(exc.code, exc.message, info.context.locale, exc.domain, **exc.params) from None


async def _language(info: Info, value: str | None) -> str | None:
    async def parse() -> str | None:
        return kb.language_tag(value, ["language"]) if value else None
    return await _or_client_error(info, parse())


def _size(info: Info, first: int) -> int:
    return page_size(first, first, MAX_RESULTS, info.context.locale)


@strawberry.input(description="All given conditions must hold.")
class KbArticleFilter:
    category_id: strawberry.ID | None = None
    language: str | None = strawberry.field(default=None, description="Articles that have this language.")
    published: bool | None = strawberry.field(
        default=None, description="With language: that version's state; else any version's. "
                                  "Unpublished needs aftersales.kb:write.")


async def _suggest(info: Info, ticket_id: int, first: int) -> list[KbSearchResult]:
    await check(info, "aftersales.ticket", "read")
    principal = info.context.require_principal()
    found = await _or_client_error(info, kb_suggest.suggest(
        principal.tenant_id, ticket_id, principal.tenant_locale, _size(info, first)))
    return await search_results(info, found)


@strawberry.type
class KbQuery:
    @strawberry.field(permission_classes=READ, description=(
        "Every category (at most 1,000), by position then name; parentId gives the tree."))
    async def kb_categories(self, info: Info) -> list[KbCategoryType]:
        return [KbCategoryType.from_row(r) for r in await kb.list_categories(info.context.tenant_id)]

    @strawberry.field(permission_classes=READ, description="Most recently changed first.")
    async def kb_articles(self, info: Info, first: int | None = None, after: str | None = None,
                          filter: KbArticleFilter | None = None) -> Connection[KbArticleType]:  # noqa: A002
        ctx = info.context
        f = filter or KbArticleFilter()
        published = f.published
        if published is False:
            await check(info, "aftersales.kb", "write")
        elif not await can_write(info):
            published = True  # readers see only what is published
        qs = scoped(models.KbArticle, ctx.tenant_id)
        if f.category_id is not None:
            qs = qs.filter(category_id=_id(info, f.category_id, KbCategoryType, "categoryId"))
        language = await _language(info, f.language)
        if language is not None or published is not None:
            versions = scoped(models.KbArticleTranslation, ctx.tenant_id)
            if language is not None:
                versions = versions.filter(language=language)
            if published is not None:
                versions = versions.filter(published=published)
            qs = qs.filter(id__in=Subquery(versions.values("article_id")))
        s = ctx.rt.settings
        return await paginate(qs, first=page_size(first, s.default_page_size, s.max_page_size, ctx.locale),
                              after=after, ordering=Ordering("updated_at", True), to_node=KbArticleType.from_row,
                              locale=ctx.locale)

    @strawberry.field(permission_classes=READ)
    async def kb_article(self, info: Info, id: strawberry.ID) -> KbArticleType | None:  # noqa: A002
        try:
            pk = decode_id(id, KbArticleType, "id")
        except UserFacingError:
            return None
        (node,) = await KbArticleType.resolve_nodes(info=info, node_ids=[str(pk)])
        return node

    @strawberry.field(permission_classes=READ, description=(
        "Best matches first. Words must all match; \"a phrase\", `or` and -word (PostgreSQL) work; "
        "anything else is taken as plain words. Drafts only with includeDrafts, which needs aftersales.kb:write."))
    async def search_kb_articles(self, info: Info, query: str, language: str | None = None, first: int = 10,
                                 include_drafts: bool = False) -> list[KbSearchResult]:
        if include_drafts:
            await check(info, "aftersales.kb", "write")
        tid = info.context.tenant_id
        hits = await kb_search.search(tid, query, language=await _language(info, language),
                                      published_only=not include_drafts, limit=_size(info, first))
        return await search_results(info, await kb_search.resolve(tid, hits))

    @strawberry.field(permission_classes=READ, description=(
        "Published articles that may answer a ticket, from its subject and first customer message: "
        "in the ticket's language first, then in the tenant's. Needs aftersales.ticket:read too."))
    async def suggested_kb_articles(self, info: Info, ticket_id: strawberry.ID, first: int = 5
                                    ) -> list[KbSearchResult]:
        return await _suggest(info, _id(info, ticket_id, TicketType, "ticketId"), first)


@strawberry.type
class TicketKbExtension:
    @strawberry.field(description="Knowledge base articles that may answer this ticket (aftersales.kb:read). "
                                  "Searched per ticket: meant for one ticket's view, not for lists.")
    async def suggested_kb_articles(self, info: Info, first: int = 5) -> list[KbSearchResult]:
        await check(info, "aftersales.kb", "read")
        ticket: TicketType = self  # type: ignore[assignment]
        return await _suggest(info, int(ticket.id), first)


contribution = GraphQLContribution(
    queries=[KbQuery],
    mutations=[KbCategoryMutations, KbArticleMutations],
    # TicketType is listed so that the extension finds it whichever part of the module registers it.
    types=[KbCategoryType, KbArticleType, TicketType],
    extends={"Ticket": [TicketKbExtension]},
)
