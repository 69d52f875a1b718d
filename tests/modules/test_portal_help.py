"""The portal's help center over HTTP: published articles by language with fallback, categories,
one article, search; drafts never shown; another shop's slug never reaching this shop's articles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, TenantFixture
from tests.modules.portal_client import clear_counters, portal, portal_data, portal_post
from tests.modules.test_aftersales_kb import CATEGORY, create, pk, tr

ARTICLES = """query($lang: String, $cat: ID, $first: Int, $after: String) {
  helpArticles(language: $lang, categoryId: $cat, first: $first, after: $after) {
    nodes { id title body language languages categoryId } endCursor hasNextPage } }"""
ARTICLE = """query($id: ID!, $lang: String) { helpArticle(id: $id, language: $lang) { id title language } }"""
BY_SLUG = """query($slug: String!, $lang: String) { helpArticle(slug: $slug, language: $lang) { id slug title } }"""
SEARCH = """query($q: String!, $lang: String) { searchHelp(query: $q, language: $lang) { id title language } }"""


@pytest.fixture(autouse=True)
async def fresh_limits() -> None:
    await clear_counters()


async def category(api: Api, t: TenantFixture, name: str, parent: str | None = None) -> str:
    """The staff API's global id of a new category."""
    data = await api.data(CATEGORY, {"i": {"name": name, "parentId": parent}}, token=t.token)
    assert data["createKbCategory"]["errors"] == [], data
    return str(data["createKbCategory"]["category"]["id"])


async def shelf(api: Api, t: TenantFixture) -> dict[str, Any]:
    """Four articles: both languages published, English only, a German draft beside English, a draft only."""
    returns = await category(api, t, "Returns")
    both = await create(api, t, tr("en", "How to return an item", "Send the parcel back.", True),
                        tr("de", "Artikel zurücksenden", "Schicken Sie das Paket zurück.", True), categoryId=returns)
    english = await create(api, t, tr("en", "Delivery times", "Parcels arrive within a week.", True))
    mixed = await create(api, t, tr("en", "Warranty", "Two years of warranty.", True),
                         tr("de", "Garantie", "Geheimer Entwurf Kaffeemaschine.", False))
    draft = await create(api, t, tr("de", "Neue Preise", "Kaffeemaschine bald günstiger.", False))
    return {"category": str(pk(returns)), "both": str(pk(both["id"])), "english": str(pk(english["id"])),
            "mixed": str(pk(mixed["id"])), "draft": str(pk(draft["id"]))}


async def test_articles_come_in_the_readers_language_else_another_published_one_and_drafts_never(
        api: Api, tenant: TenantFixture) -> None:
    ids = await shelf(api, tenant)
    page = (await portal_data(api, tenant.slug, ARTICLES, lang="de-AT,de;q=0.9"))["helpArticles"]
    shown = {n["id"]: (n["language"], n["title"]) for n in page["nodes"]}
    assert shown == {ids["both"]: ("de", "Artikel zurücksenden"), ids["english"]: ("en", "Delivery times"),
                     ids["mixed"]: ("en", "Warranty")}, page
    mixed = next(n for n in page["nodes"] if n["id"] == ids["mixed"])
    assert mixed["languages"] == ["en"] and "Entwurf" not in mixed["body"]  # the German draft stays hidden
    assert page["hasNextPage"] is False
    # The argument wins over Accept-Language; without either, the shop's language (English here).
    english = (await portal_data(api, tenant.slug, ARTICLES, {"lang": "en"}, lang="de"))["helpArticles"]["nodes"]
    assert {n["language"] for n in english} == {"en"}
    assert {n["language"] for n in (await portal_data(api, tenant.slug, ARTICLES))["helpArticles"]["nodes"]} == {"en"}

    first = (await portal_data(api, tenant.slug, ARTICLES, {"first": 2}))["helpArticles"]
    assert len(first["nodes"]) == 2 and first["hasNextPage"] is True
    rest = (await portal_data(api, tenant.slug, ARTICLES, {"first": 2, "after": first["endCursor"]}))["helpArticles"]
    assert [n["id"] for n in first["nodes"] + rest["nodes"]] == [ids["both"], ids["english"], ids["mixed"]]
    assert rest["hasNextPage"] is False
    in_category = (await portal_data(api, tenant.slug, ARTICLES, {"cat": ids["category"]}))["helpArticles"]
    assert [n["id"] for n in in_category["nodes"]] == [ids["both"]]

    one = await portal_data(api, tenant.slug, ARTICLE, {"id": ids["both"], "lang": "de"})
    assert one["helpArticle"] == {"id": ids["both"], "title": "Artikel zurücksenden", "language": "de"}
    assert (await portal_data(api, tenant.slug, ARTICLE, {"id": ids["draft"]}))["helpArticle"] is None
    # A slug names the article in the reader's language; only its id counts when read back.
    german = (await portal_data(api, tenant.slug, BY_SLUG, {"slug": f"{ids['both']}-anything", "lang": "de"}))
    assert german["helpArticle"] == {"id": ids["both"], "slug": f"{ids['both']}-artikel-zurücksenden",
                                     "title": "Artikel zurücksenden"}
    english = await portal_data(api, tenant.slug, BY_SLUG, {"slug": german["helpArticle"]["slug"], "lang": "en"})
    assert english["helpArticle"]["slug"] == f"{ids['both']}-how-to-return-an-item"
    assert (await portal_data(api, tenant.slug, BY_SLUG, {"slug": f"{ids['draft']}-neue-preise"}))["helpArticle"] is None
    assert (await portal_data(api, tenant.slug, BY_SLUG, {"slug": "no-id-here"}))["helpArticle"] is None
    neither = await portal(api, tenant.slug, "{ helpArticle { id } }", lang="ja")
    assert neither["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENTS"
    assert neither["errors"][0]["message"] != "Give the article's id or its slug."
    # Articles may be in languages the interface does not speak: Italian is asked for, and found.
    italian = await create(api, tenant, tr("it", "Resi", "Come restituire un articolo.", True),
                           tr("en", "Returns", "How to return an item.", True))
    shown_it = await portal_data(api, tenant.slug, ARTICLE, {"id": str(pk(italian["id"]))}, lang="it-IT,en;q=0.5")
    assert shown_it["helpArticle"]["language"] == "it"
    bad = await portal(api, tenant.slug, ARTICLES, {"lang": "xx-nolang"}, lang="de")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_LANGUAGE"
    assert bad["errors"][0]["message"] != "Unknown language xx-nolang."


async def test_categories_form_a_tree(api: Api, tenant: TenantFixture) -> None:
    top = await category(api, tenant, "Shipping")
    child = await category(api, tenant, "Customs", top)
    await category(api, tenant, "Duties", child)
    tree = await portal_data(api, tenant.slug, "{ helpCategories { id name children { name children { name } } } }")
    assert tree["helpCategories"] == [{"id": str(pk(top)), "name": "Shipping",
                                       "children": [{"name": "Customs", "children": [{"name": "Duties"}]}]}]


async def test_search_finds_published_articles_readers_language_first(api: Api, tenant: TenantFixture) -> None:
    ids = await shelf(api, tenant)
    german = await portal_data(api, tenant.slug, SEARCH, {"q": "Paket"}, lang="de")
    assert german["searchHelp"] == [{"id": ids["both"], "title": "Artikel zurücksenden", "language": "de"}]
    # Nothing in German speaks of warranty in a published text: the English article is found instead.
    fallback = await portal_data(api, tenant.slug, SEARCH, {"q": "warranty", "lang": "de"})
    assert fallback["searchHelp"] == [{"id": ids["mixed"], "title": "Warranty", "language": "en"}]
    # Words that only drafts hold find nothing.
    assert (await portal_data(api, tenant.slug, SEARCH, {"q": "Kaffeemaschine"}, lang="de"))["searchHelp"] == []


async def test_another_shops_slug_never_reaches_these_articles(api: Api, tenant: TenantFixture,
                                                              other_tenant: TenantFixture) -> None:
    ids = await shelf(api, tenant)
    theirs = await portal_data(api, other_tenant.slug, ARTICLES)
    assert theirs["helpArticles"]["nodes"] == []
    assert (await portal_data(api, other_tenant.slug, ARTICLE, {"id": ids["both"]}))["helpArticle"] is None
    assert (await portal_data(api, other_tenant.slug, SEARCH, {"q": "parcel"}))["searchHelp"] == []
    assert (await portal_data(api, other_tenant.slug, "{ helpCategories { id } }"))["helpCategories"] == []
    unknown = await portal_post(api, "no-such-shop", ARTICLES, lang="de")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert unknown.json()["errors"][0]["message"] != "There is no such shop."
