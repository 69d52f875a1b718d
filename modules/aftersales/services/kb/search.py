"""Full-text search over knowledge-base translations, one implementation per database.

- PostgreSQL: the translation's `search` tsvector (title weighted A, body B) in the configuration of
  its language (kb_text.PG_CONFIGS), a GIN index, `websearch_to_tsquery` (it accepts any input and
  never raises) and `ts_rank`.
- SQLite: the FTS5 table `aftersales_kb_fts` (rowid = translation id, tenant_id UNINDEXED),
  `bm25()` with the title weighted 10 to 1, and a MATCH expression rebuilt from quoted tokens.

The index is written by the service in the same transaction as the row (`index`, `unindex`), so
the text is analysed once, in Python, alike on both databases. Every query names the tenant, in the
index and on the joined translation row. The DDL is in migrations/0002_kb_search.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core import sql
from core.tenancy import scoped
from modules.aftersales.models import KbArticleTranslation
from modules.aftersales.services.kb import text as kb_text

TABLE = "aftersales_kb_article_translation"
FTS = "aftersales_kb_fts"


@dataclass(frozen=True)
class Hit:
    translation_id: int
    score: float  # higher is better, comparable within one result list only


@dataclass(frozen=True)
class Found:
    translation: KbArticleTranslation
    score: float


async def resolve(tenant_id: int, hits: Sequence[Hit]) -> list[Found]:
    """The hits' translation rows, in the hits' order (one query)."""
    rows = {r.id: r for r in await scoped(KbArticleTranslation, tenant_id)
            .filter(id__in=[h.translation_id for h in hits])}
    return [Found(rows[h.translation_id], h.score) for h in hits if h.translation_id in rows]


async def add_unique(tenant_id: int, hits: Sequence[Hit], found: list[Found], limit: int) -> None:
    """Append the hits' translations to `found`, one per article (the first, the best, wins),
    until `found` holds `limit`: searches in several languages fill one list."""
    seen = {f.translation.article_id for f in found}
    for item in await resolve(tenant_id, hits):
        if item.translation.article_id not in seen and len(found) < limit:
            seen.add(item.translation.article_id)
            found.append(item)


def _dialect() -> str:
    return sql.connection().capabilities.dialect


_PG_INDEX = (
    "UPDATE aftersales_kb_article_translation SET search ="
    " setweight(to_tsvector({p[0]}::regconfig, {p[1]}), 'A') || setweight(to_tsvector({p[0]}::regconfig, {p[2]}), 'B')"
    " WHERE id = {p[3]} AND tenant_id = {p[4]}")
_FTS_INSERT = "INSERT INTO aftersales_kb_fts (rowid, title, body, tenant_id) VALUES ({p[0]}, {p[1]}, {p[2]}, {p[3]})"
_FTS_DELETE = "DELETE FROM aftersales_kb_fts WHERE rowid IN ({marks})"
# {where} adds the optional conditions, whose values are bound like the others.
_FTS_SEARCH = (
    "SELECT t.id AS id, bm25(aftersales_kb_fts, 10.0, 1.0, 0.0) AS score FROM aftersales_kb_fts"
    " JOIN aftersales_kb_article_translation t ON t.id = aftersales_kb_fts.rowid"
    " WHERE aftersales_kb_fts MATCH {{p[0]}} AND aftersales_kb_fts.tenant_id = {{p[1]}} AND t.tenant_id = {{p[2]}}"
    "{where} ORDER BY score, t.id LIMIT {{p[{limit}]}}")
# One branch per text search configuration: {{p[0]}} query, {{p[1]}} tenant, then config and languages.
_PG_BRANCH = (
    "SELECT t.id, ts_rank(t.search, q) AS score FROM aftersales_kb_article_translation t,"
    " websearch_to_tsquery({{p[{cfg}]}}::regconfig, {{p[0]}}) q"
    " WHERE t.tenant_id = {{p[1]}} AND t.language = ANY({{p[{langs}]}}::varchar[]) AND t.search @@ q{published}")
_PG_SEARCH = "SELECT id, score FROM ({branches}) s ORDER BY score DESC, id LIMIT {{p[2]}}"


async def index(row: KbArticleTranslation) -> None:
    """(Re)write one translation's entry; call inside the transaction that saved it."""
    title, body = kb_text.segment(row.title), kb_text.segment(row.body)
    if _dialect() == "postgres":
        await sql.fetch(_PG_INDEX, [kb_text.pg_config(row.language), title, body, row.id, row.tenant_id])
        return
    await unindex([row.id])
    await sql.fetch(_FTS_INSERT, [row.id, title, body, row.tenant_id])


async def unindex(translation_ids: Sequence[int]) -> None:
    """Drop entries before their rows go (PostgreSQL's column goes with the row by itself)."""
    if not translation_ids or _dialect() == "postgres":
        return
    marks = ", ".join(f"{{p[{i}]}}" for i in range(len(translation_ids)))
    await sql.fetch(_FTS_DELETE.format(marks=marks), list(translation_ids))


async def search(tenant_id: int, text: str, *, language: str | None = None, published_only: bool = True,
                 limit: int = 20) -> list[Hit]:
    """Translations matching a user's query (every term), best first; input that leaves no
    searchable term finds nothing."""
    return await _run(tenant_id, kb_text.fts5_query(text), kb_text.websearch_text(text), language,
                      published_only, limit)


async def search_any(tenant_id: int, words: Sequence[str], *, language: str | None = None,
                     published_only: bool = True, limit: int = 20) -> list[Hit]:
    """Translations matching any of `words` (kb_text.significant_words), best first."""
    fts, web = kb_text.any_of(list(words))
    return await _run(tenant_id, fts, web, language, published_only, limit)


async def _run(tenant_id: int, fts: str, web: str, language: str | None, published_only: bool,
               limit: int) -> list[Hit]:
    if limit <= 0:
        return []
    if _dialect() == "postgres":
        return await _search_pg(tenant_id, web, language, published_only, limit)
    return await _search_sqlite(tenant_id, fts, language, published_only, limit)


async def _search_sqlite(tenant_id: int, expression: str, language: str | None, published_only: bool,
                         limit: int) -> list[Hit]:
    if not expression:
        return []
    values: list[object] = [expression, tenant_id, tenant_id]
    where = ""
    if language:
        values.append(language)
        where += f" AND t.language = {{p[{len(values) - 1}]}}"
    if published_only:
        where += " AND t.published = 1"
    values.append(limit)
    rows = await sql.fetch(_FTS_SEARCH.format(where=where, limit=len(values) - 1), values)
    return [Hit(int(r["id"]), -float(r["score"])) for r in rows]


async def _search_pg(tenant_id: int, query: str, language: str | None, published_only: bool,
                     limit: int) -> list[Hit]:
    if not kb_text.has_terms(query):
        return []
    if language:
        languages = [language]
    else:  # one branch per configuration the tenant's languages use, so each uses the GIN index
        languages = [str(lang) for lang in await scoped(KbArticleTranslation, tenant_id).distinct()
                     .values_list("language", flat=True)]
    by_config: dict[str, list[str]] = {}
    for lang in languages:
        by_config.setdefault(kb_text.pg_config(lang), []).append(lang)
    if not by_config:
        return []
    values: list[object] = [query, tenant_id, limit]
    branches = []
    for config, langs in sorted(by_config.items()):
        values += [config, langs]
        branches.append(_PG_BRANCH.format(cfg=len(values) - 2, langs=len(values) - 1,
                                          published=" AND t.published" if published_only else ""))
    rows = await sql.fetch(_PG_SEARCH.format(branches=" UNION ALL ".join(branches)), values)
    return [Hit(int(r["id"]), float(r["score"])) for r in rows]
