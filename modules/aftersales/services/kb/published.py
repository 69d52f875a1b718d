"""The knowledge base as the public reads it (the buyers' help center): published translations
only, each article once, in the first of the reader's languages it has, else in any published one.
A draft never shows, and an article without a published translation does not exist here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Subquery

from core.tenancy import scoped
from modules.aftersales.models import KbArticle, KbArticleTranslation
from modules.aftersales.services.kb import search as kb_search
from modules.aftersales.services.kb import text as kb_text


@dataclass(frozen=True)
class Published:
    article: KbArticle
    translation: KbArticleTranslation  # the version shown
    languages: list[str]  # every published language of the article


def reader_languages(*languages: str | None) -> list[str]:
    """Primary tags in order of preference, each once (`de-AT`, `zh_Hans` -> `de`, `zh`)."""
    tags = (kb_text.primary(lang.replace("_", "-")) for lang in languages if lang)
    return list(dict.fromkeys(tag for tag in tags if tag))


def _pick(versions: Sequence[KbArticleTranslation], languages: Sequence[str]) -> KbArticleTranslation:
    by_language = {t.language: t for t in versions}
    return next((by_language[lang] for lang in languages if lang in by_language), versions[0])


async def _published(tenant_id: int, articles: Sequence[KbArticle], languages: Sequence[str]) -> list[Published]:
    versions: dict[int, list[KbArticleTranslation]] = defaultdict(list)
    for row in await (scoped(KbArticleTranslation, tenant_id).filter(article_id__in=[a.id for a in articles],
                                                                     published=True).order_by("language", "id")):
        versions[row.article_id].append(row)
    return [Published(a, _pick(versions[a.id], languages), [t.language for t in versions[a.id]])
            for a in articles if versions[a.id]]


async def published_articles(tenant_id: int, languages: Sequence[str], *, category_id: int | None = None,
                   after_id: int | None = None, limit: int = 20) -> tuple[list[Published], bool]:
    """A page of published articles by id, after `after_id`; and whether more follow (two queries)."""
    visible = scoped(KbArticleTranslation, tenant_id).filter(published=True).values("article_id")
    query = scoped(KbArticle, tenant_id).filter(id__in=Subquery(visible))
    if category_id is not None:
        query = query.filter(category_id=category_id)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.order_by("id").limit(limit + 1)
    return await _published(tenant_id, rows[:limit], languages), len(rows) > limit


async def published_article(tenant_id: int, article_id: int, languages: Sequence[str]) -> Published | None:
    rows = await scoped(KbArticle, tenant_id).filter(id=article_id)
    found = await _published(tenant_id, rows, languages)
    return found[0] if found else None


async def search_published(tenant_id: int, text: str, languages: Sequence[str], limit: int = 10) -> list[Published]:
    """Best matches first, among published translations: in the reader's languages in order, then
    in any; each article once, in the version that matched."""
    found: list[kb_search.Found] = []
    for language in [*languages, None]:
        if len(found) >= limit:
            break
        hits = await kb_search.search(tenant_id, text, language=language, published_only=True, limit=limit)
        await kb_search.add_unique(tenant_id, hits, found, limit)
    seen = {f.translation.article_id for f in found}
    rows = {a.id: a for a in await scoped(KbArticle, tenant_id).filter(id__in=seen)}
    languages_of: dict[int, list[str]] = defaultdict(list)
    for article_id, language in await (scoped(KbArticleTranslation, tenant_id)
                                       .filter(article_id__in=seen, published=True).order_by("language")
                                       .values_list("article_id", "language")):
        languages_of[int(article_id)].append(str(language))
    return [Published(rows[f.translation.article_id], f.translation, languages_of[f.translation.article_id])
            for f in found if f.translation.article_id in rows]
