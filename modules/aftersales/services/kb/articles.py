"""Knowledge-base writes: categories, articles and their translations, checked field by field,
written with their search index entry and audit record in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import KbArticle, KbArticleTranslation, KbCategory
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.kb import search as kb_search

UNSET: Any = object()
MAX_NAME = 100
MAX_TITLE = 255
MAX_BODY = 100_000
MAX_TAGS = 20
MAX_TAG = 50
MAX_CATEGORY_DEPTH = 5
MAX_CATEGORIES = 1000


@dataclass
class TranslationInput:
    language: str
    title: str
    body: str
    published: bool | None = None  # None: a new translation is a draft, an existing one keeps its state


def language_tag(value: str, path: Sequence[str]) -> str:
    """The BCP 47 primary tag of a language babel knows (`de-DE` -> `de`)."""
    return validation.language(value, path).split("-", 1)[0]


# ---- categories -----------------------------------------------------------------------------------

async def get_category(tenant_id: int, category_id: int, path: Sequence[str] = ("id",)) -> KbCategory:
    row = await scoped(KbCategory, tenant_id).filter(id=category_id).first()
    if row is None:
        raise aftersales_error("NOT_FOUND", N_("No such knowledge base category."), path)
    return row


async def list_categories(tenant_id: int) -> list[KbCategory]:
    """Every category (at most MAX_CATEGORIES), by position then name; parent_id gives the tree."""
    return await scoped(KbCategory, tenant_id).order_by("position", "name", "id").limit(MAX_CATEGORIES)


def _name_error(name: Any) -> UserFacingError | None:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        return aftersales_error("INVALID_NAME", N_("A name has 1 to {max} characters."), ["name"], max=MAX_NAME)
    return None


async def _check_parent(tenant_id: int, parent_id: int, moving: int | None) -> None:
    """The parent exists, and is neither the category itself nor below it, nor too deep."""
    depth, current = 1, await get_category(tenant_id, parent_id, ["parentId"])
    while True:
        if current.id == moving:
            raise aftersales_error("INVALID_PARENT", N_("A category cannot be inside itself."), ["parentId"])
        if current.parent_id is None:
            break
        depth += 1
        if depth >= MAX_CATEGORY_DEPTH:
            raise aftersales_error("TOO_DEEP", N_("Categories nest at most {max} levels deep."), ["parentId"],
                                   max=MAX_CATEGORY_DEPTH)
        current = await get_category(tenant_id, current.parent_id, ["parentId"])


def _category_snapshot(row: KbCategory) -> dict[str, Any]:
    return {"name": row.name, "position": row.position, "parent_id": row.parent_id}


async def create_category(actor: Principal, name: str, position: int = 0, parent_id: int | None = None
                          ) -> KbCategory:
    tid = actor.tenant_id
    error = _name_error(name)
    if error:
        raise error
    async with in_transaction():
        if parent_id is not None:
            await _check_parent(tid, parent_id, None)
        row = await KbCategory.create(tenant_id=tid, name=name.strip(), position=position, parent_id=parent_id)
        await audit.record(actor, tid, "kb_category.create", "KbCategory", row.id, None, _category_snapshot(row))
    return row


async def update_category(actor: Principal, category_id: int, name: Any = UNSET, position: Any = UNSET,
                          parent_id: Any = UNSET) -> KbCategory:
    tid = actor.tenant_id
    error = _name_error(name) if name is not UNSET else None
    if error:
        raise error
    async with in_transaction():
        row = await get_category(tid, category_id)
        if parent_id is not UNSET and parent_id is not None:
            await _check_parent(tid, parent_id, row.id)
        before = _category_snapshot(row)
        if name is not UNSET:
            row.name = name.strip()
        if position is not UNSET and position is not None:
            row.position = position
        if parent_id is not UNSET:
            row.parent_id = parent_id
        await row.save()
        await audit.record(actor, tid, "kb_category.update", "KbCategory", row.id, before, _category_snapshot(row))
    return row


async def delete_category(actor: Principal, category_id: int) -> None:
    """Its articles stay, uncategorised; a category with sub-categories is refused."""
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_category(tid, category_id)
        if await scoped(KbCategory, tid).filter(parent_id=row.id).exists():
            raise aftersales_error("CATEGORY_NOT_EMPTY", N_("Move or delete its sub-categories first."), ["id"])
        await row.delete()
        await audit.record(actor, tid, "kb_category.delete", "KbCategory", category_id, _category_snapshot(row), None)


# ---- articles -------------------------------------------------------------------------------------

async def get_article(tenant_id: int, article_id: int, path: Sequence[str] = ("id",)) -> KbArticle:
    row = await scoped(KbArticle, tenant_id).filter(id=article_id).first()
    if row is None:
        raise aftersales_error("NOT_FOUND", N_("No such knowledge base article."), path)
    return row


def _tags(value: Sequence[str], errors: list[UserFacingError]) -> list[str]:
    tags: list[str] = []
    for index, tag in enumerate(value):
        cleaned = tag.strip().lower()
        if not cleaned or len(cleaned) > MAX_TAG:
            errors.append(aftersales_error("INVALID_TAG", N_("A tag has 1 to {max} characters."),
                                           ["tags", str(index)], max=MAX_TAG))
        elif cleaned not in tags:
            tags.append(cleaned)
    if len(tags) > MAX_TAGS:
        errors.append(aftersales_error("TOO_MANY_TAGS", N_("At most {max} tags."), ["tags"], max=MAX_TAGS))
    return tags


def _translations(items: Sequence[TranslationInput], errors: list[UserFacingError]
                  ) -> list[tuple[str, TranslationInput]]:
    """(language tag, input) of each well-formed translation; every mistake goes to `errors`."""
    checked: list[tuple[str, TranslationInput]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        path = ["translations", str(index)]
        before = len(errors)
        tag = validation.collect(errors, language_tag, item.language, [*path, "language"])
        if tag is not None and tag in seen:
            errors.append(aftersales_error("DUPLICATE_LANGUAGE", N_("The language {language} is given twice."),
                                           [*path, "language"], language=tag))
        if not item.title.strip() or len(item.title.strip()) > MAX_TITLE:
            errors.append(aftersales_error("INVALID_TITLE", N_("A title has 1 to {max} characters."),
                                           [*path, "title"], max=MAX_TITLE))
        if len(item.body) > MAX_BODY:
            errors.append(aftersales_error("BODY_TOO_LONG", N_("The text has more than {max} characters."),
                                           [*path, "body"], max=MAX_BODY))
        if tag is not None:
            seen.add(tag)
            if len(errors) == before:
                checked.append((tag, item))
    return checked


def _article_snapshot(row: KbArticle, translations: Sequence[KbArticleTranslation]) -> dict[str, Any]:
    return {"category_id": row.category_id, "tags": row.tags,
            "translations": {t.language: {"title": t.title, "published": t.published} for t in translations}}


async def _translations_of(tenant_id: int, article_id: int) -> list[KbArticleTranslation]:
    return await scoped(KbArticleTranslation, tenant_id).filter(article_id=article_id).order_by("language")


async def _upsert(row: KbArticle, tag: str, item: TranslationInput, existing: dict[str, KbArticleTranslation]
                  ) -> None:
    current = existing.get(tag)
    published = item.published if item.published is not None else bool(current and current.published)
    if current is None:
        current = KbArticleTranslation(tenant_id=row.tenant_id, article_id=row.id, language=tag)
    if published and not current.published:
        current.published_at = datetime.now(UTC)
    current.title, current.body, current.published = item.title.strip(), item.body, published
    await current.save()
    await kb_search.index(current)


async def create_article(actor: Principal, translations: Sequence[TranslationInput],
                         category_id: int | None = None, tags: Sequence[str] = ()) -> KbArticle:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    if not translations:
        errors.append(aftersales_error("TRANSLATION_REQUIRED", N_("An article needs at least one language."),
                                       ["translations"]))
    checked = _translations(translations, errors)
    clean_tags = _tags(tags, errors)
    if category_id is not None and not await scoped(KbCategory, tid).filter(id=category_id).exists():
        errors.append(aftersales_error("NOT_FOUND", N_("No such knowledge base category."), ["categoryId"]))
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        row = await KbArticle.create(tenant_id=tid, category_id=category_id, tags=clean_tags)
        for tag, item in checked:
            await _upsert(row, tag, item, {})
        await audit.record(actor, tid, "kb_article.create", "KbArticle", row.id, None,
                           _article_snapshot(row, await _translations_of(tid, row.id)))
    return row


async def update_article(actor: Principal, article_id: int, *, category_id: Any = UNSET, tags: Any = UNSET,
                         translations: Sequence[TranslationInput] = (), remove_languages: Sequence[str] = ()
                         ) -> KbArticle:
    """Given translations are added or replaced (by language); `remove_languages` are deleted.
    An article keeps at least one translation."""
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    checked = _translations(translations, errors)
    clean_tags = _tags(tags, errors) if tags is not UNSET else UNSET
    removed = [t for i, lang in enumerate(remove_languages)
               if (t := validation.collect(errors, language_tag, lang, ["removeLanguages", str(i)])) is not None]
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        row = await get_article(tid, article_id)
        if category_id is not UNSET and category_id is not None:
            await get_category(tid, category_id, ["categoryId"])
        existing = {t.language: t for t in await _translations_of(tid, row.id)}
        before = _article_snapshot(row, list(existing.values()))
        left = (set(existing) - set(removed)) | {tag for tag, _ in checked}
        if not left:
            raise aftersales_error("TRANSLATION_REQUIRED", N_("An article needs at least one language."),
                                   ["removeLanguages"])
        gone = [existing[lang] for lang in removed if lang in existing]
        await kb_search.unindex([t.id for t in gone])
        if gone:
            await scoped(KbArticleTranslation, tid).filter(id__in=[t.id for t in gone]).delete()
        for tag, item in checked:
            await _upsert(row, tag, item, existing)
        if category_id is not UNSET:
            row.category_id = category_id
        if clean_tags is not UNSET:
            row.tags = clean_tags
        await row.save()  # also marks the article as changed when only a translation did
        await audit.record(actor, tid, "kb_article.update", "KbArticle", row.id, before,
                           _article_snapshot(row, await _translations_of(tid, row.id)))
    return row


async def set_published(actor: Principal, article_id: int, language: str, published: bool) -> KbArticle:
    tid = actor.tenant_id
    tag = language_tag(language, ["language"])
    async with in_transaction():
        row = await get_article(tid, article_id)
        translation = await scoped(KbArticleTranslation, tid).filter(article_id=row.id, language=tag).first()
        if translation is None:
            raise aftersales_error("NOT_FOUND", N_("This article has no {language} version."), ["language"],
                                   language=tag)
        if translation.published != published:
            before = {"language": tag, "published": translation.published}
            translation.published = published
            translation.published_at = datetime.now(UTC) if published else None
            await translation.save()
            await row.save()
            await audit.record(actor, tid, "kb_article.publish" if published else "kb_article.unpublish",
                               "KbArticle", row.id, before, {"language": tag, "published": published})
    return row


async def delete_article(actor: Principal, article_id: int) -> None:
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_article(tid, article_id)
        translations = await _translations_of(tid, row.id)
        await kb_search.unindex([t.id for t in translations])
        await row.delete()
        await audit.record(actor, tid, "kb_article.delete", "KbArticle", article_id,
                           _article_snapshot(row, translations), None)
