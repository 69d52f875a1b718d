"""Knowledge base over HTTP: categories and articles with translations, field-level validation,
publishing, drafts hidden from readers, keyset pages, audit, and tenant isolation."""

from __future__ import annotations

import uuid
from typing import Any

from strawberry import relay

from core.access.admin import assign_role_by_name
from core.identity import add_user
from core.models import AuditEntry
from modules.aftersales.models import KbArticle, KbArticleTranslation, KbCategory
from tests.conftest import PASSWORD, Api, TenantFixture
from tests.querycount import count_queries

CATEGORY = """mutation($i: CreateKbCategoryInput!) { createKbCategory(input: $i) {
  category { id name position parentId } errors { code field message } } }"""
UPDATE_CATEGORY = """mutation($i: UpdateKbCategoryInput!) { updateKbCategory(input: $i) {
  category { id name position parentId } errors { code field } } }"""
DELETE_CATEGORY = """mutation($i: DeleteKbCategoryInput!) { deleteKbCategory(input: $i) { deletedId errors { code field } } }"""
CATEGORIES = "{ kbCategories { id name position parentId } }"
CREATE = """mutation($i: CreateKbArticleInput!) { createKbArticle(input: $i) {
  article { id categoryId tags translations { language title body published publishedAt } }
  errors { code field message } } }"""
UPDATE = """mutation($i: UpdateKbArticleInput!) { updateKbArticle(input: $i) {
  article { id categoryId tags translations { language title published } } errors { code field } } }"""
PUBLISH = """mutation($i: PublishKbArticleInput!) { publishKbArticle(input: $i) {
  article { id translations { language published } } errors { code field } } }"""
DELETE = """mutation($i: DeleteKbArticleInput!) { deleteKbArticle(input: $i) { deletedId errors { code field } } }"""
ARTICLES = """query($first: Int, $after: String, $f: KbArticleFilter) { kbArticles(first: $first, after: $after,
  filter: $f) { edges { cursor node { id translations { language title } } } pageInfo { hasNextPage endCursor } } }"""
ARTICLE = """query($id: ID!) { kbArticle(id: $id) { id tags translations { language title published }
  de: translation(language: "de-AT") { title } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on KbArticle { tags } } }"""


def pk(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


def tr(language: str, title: str, body: str = "Text.", published: bool | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"language": language, "title": title, "body": body}
    if published is not None:
        item["published"] = published
    return item


async def member(api: Api, rt: Any, t: TenantFixture, role: str) -> str:
    """A token for a new user with `role` in the tenant."""
    email = f"{role}-{uuid.uuid4().hex[:6]}@{t.slug}.test"
    user = await add_user(t.id, email, role.title(), PASSWORD)
    await assign_role_by_name(t.id, user.id, role)
    rt.access.invalidate(t.id)
    return await api.login(email, t.slug)


async def create(api: Api, t: TenantFixture, *translations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = await api.data(CREATE, {"i": {"translations": list(translations), **extra}}, token=t.token)
    assert data["createKbArticle"]["errors"] == [], data
    article: dict[str, Any] = data["createKbArticle"]["article"]
    return article


async def test_categories_nest_and_refuse_cycles(api: Api, tenant: TenantFixture, other_tenant: TenantFixture
                                                 ) -> None:
    top = (await api.data(CATEGORY, {"i": {"name": " Returns ", "position": 2}}, token=tenant.token))[
        "createKbCategory"]
    assert top["errors"] == [] and top["category"]["name"] == "Returns"
    top_id = top["category"]["id"]
    child = (await api.data(CATEGORY, {"i": {"name": "Refunds", "parentId": top_id}}, token=tenant.token))[
        "createKbCategory"]["category"]
    assert child["parentId"] == top_id

    bad = (await api.data(CATEGORY, {"i": {"name": "  "}}, token=tenant.token))["createKbCategory"]
    assert bad["category"] is None and [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_NAME", ["name"])]
    cycle = (await api.data(UPDATE_CATEGORY, {"i": {"id": top_id, "parentId": child["id"]}}, token=tenant.token))[
        "updateKbCategory"]
    assert [(e["code"], e["field"]) for e in cycle["errors"]] == [("INVALID_PARENT", ["parentId"])]
    assert (await KbCategory.get(id=pk(top_id))).parent_id is None

    not_empty = (await api.data(DELETE_CATEGORY, {"i": {"id": top_id}}, token=tenant.token))["deleteKbCategory"]
    assert [e["code"] for e in not_empty["errors"]] == ["CATEGORY_NOT_EMPTY"]

    # Another tenant cannot see, nest under, rename or delete them.
    theirs = (await api.data(CATEGORY, {"i": {"name": "X", "parentId": top_id}}, token=other_tenant.token))[
        "createKbCategory"]
    assert [(e["code"], e["field"]) for e in theirs["errors"]] == [("NOT_FOUND", ["parentId"])]
    renamed = (await api.data(UPDATE_CATEGORY, {"i": {"id": top_id, "name": "Mine"}}, token=other_tenant.token))[
        "updateKbCategory"]
    assert [e["code"] for e in renamed["errors"]] == ["NOT_FOUND"]
    assert (await api.data(CATEGORIES, token=other_tenant.token))["kbCategories"] == []
    listed = (await api.data(CATEGORIES, token=tenant.token))["kbCategories"]
    assert [c["name"] for c in listed] == ["Refunds", "Returns"]  # position 0 before 2

    moved = (await api.data(UPDATE_CATEGORY, {"i": {"id": child["id"], "parentId": None, "position": 5}},
                            token=tenant.token))["updateKbCategory"]
    assert moved["errors"] == [] and moved["category"]["parentId"] is None and moved["category"]["position"] == 5
    gone = (await api.data(DELETE_CATEGORY, {"i": {"id": top_id}}, token=tenant.token))["deleteKbCategory"]
    assert gone == {"deletedId": top_id, "errors": []}


async def test_create_validates_every_field_and_writes_nothing(api: Api, tenant: TenantFixture) -> None:
    data = await api.data(CREATE, {"i": {
        "translations": [tr("xx-nonsense", "  "), tr("en", "Fine"), tr("en-GB", "Twice"), tr("de", "x" * 256)],
        "tags": ["ok", " ", "y" * 51],
        "categoryId": "S2JDYXRlZ29yeTo5OTk5OTk=",  # KbCategory:999999
    }}, token=tenant.token)
    errors = {(e["code"], tuple(e["field"])) for e in data["createKbArticle"]["errors"]}
    assert errors == {
        ("INVALID_LANGUAGE", ("translations", "0", "language")),
        ("INVALID_TITLE", ("translations", "0", "title")),
        ("DUPLICATE_LANGUAGE", ("translations", "2", "language")),
        ("INVALID_TITLE", ("translations", "3", "title")),
        ("INVALID_TAG", ("tags", "1")),
        ("INVALID_TAG", ("tags", "2")),
        ("NOT_FOUND", ("categoryId",)),
    }
    assert data["createKbArticle"]["article"] is None
    empty = await api.data(CREATE, {"i": {"translations": []}}, token=tenant.token)
    assert [e["code"] for e in empty["createKbArticle"]["errors"]] == ["TRANSLATION_REQUIRED"]
    wrong_type = await api.data(CREATE, {"i": {"translations": [tr("en", "A")], "categoryId": "bm9wZQ=="}},
                                token=tenant.token)
    assert [e["code"] for e in wrong_type["createKbArticle"]["errors"]] == ["INVALID_ID"]
    assert await KbArticle.filter(tenant_id=tenant.id).count() == 0
    assert await KbArticleTranslation.filter(tenant_id=tenant.id).count() == 0


async def test_messages_are_translated(api: Api, tenant: TenantFixture) -> None:
    data = await api.data(CREATE, {"i": {"translations": [tr("en", "")]}}, token=tenant.token, lang="es")
    (error,) = data["createKbArticle"]["errors"]
    assert error["code"] == "INVALID_TITLE" and "255" in error["message"]
    assert error["message"] != "A title has 1 to 255 characters."


async def test_article_lifecycle_with_translations(api: Api, rt: Any, tenant: TenantFixture) -> None:
    category = (await api.data(CATEGORY, {"i": {"name": "Shipping"}}, token=tenant.token))[
        "createKbCategory"]["category"]
    article = await create(api, tenant, tr("en-US", " Where is my parcel? ", "Track it.", True),
                           tr("de", "Wo ist mein Paket?", "Verfolgen."), categoryId=category["id"],
                           tags=["Shipping", "shipping ", "tracking"])
    assert article["categoryId"] == category["id"] and article["tags"] == ["shipping", "tracking"]
    by_language = {t["language"]: t for t in article["translations"]}
    assert by_language["en"]["title"] == "Where is my parcel?" and by_language["en"]["published"] is True
    assert by_language["en"]["publishedAt"] is not None
    assert by_language["de"]["published"] is False and by_language["de"]["publishedAt"] is None

    updated = (await api.data(UPDATE, {"i": {"id": article["id"], "tags": [], "categoryId": None,
                                             "translations": [tr("fr", "Où est mon colis ?", published=True),
                                                              tr("en", "Where is my order?")],
                                             "removeLanguages": ["de"]}}, token=tenant.token))["updateKbArticle"]
    assert updated["errors"] == []
    assert updated["article"]["categoryId"] is None and updated["article"]["tags"] == []
    assert [(t["language"], t["title"], t["published"]) for t in updated["article"]["translations"]] == [
        ("en", "Where is my order?", True),  # kept its published state
        ("fr", "Où est mon colis ?", True)]

    last = (await api.data(UPDATE, {"i": {"id": article["id"], "removeLanguages": ["en", "fr"]}},
                           token=tenant.token))["updateKbArticle"]
    assert [e["code"] for e in last["errors"]] == ["TRANSLATION_REQUIRED"]

    unpublished = (await api.data(PUBLISH, {"i": {"id": article["id"], "language": "fr", "published": False}},
                                  token=tenant.token))["publishKbArticle"]
    assert {t["language"]: t["published"] for t in unpublished["article"]["translations"]} == {"en": True, "fr": False}
    missing = (await api.data(PUBLISH, {"i": {"id": article["id"], "language": "ja"}}, token=tenant.token))[
        "publishKbArticle"]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", ["language"])]

    fetched = (await api.data(ARTICLE, {"id": article["id"]}, token=tenant.token))["kbArticle"]
    assert fetched["de"] is None and len(fetched["translations"]) == 2
    assert (await api.data(NODE, {"id": article["id"]}, token=tenant.token))["node"]["id"] == article["id"]

    actions = set(await AuditEntry.filter(tenant_id=tenant.id, object_type="KbArticle")
                  .values_list("action", flat=True))
    assert actions == {"kb_article.create", "kb_article.update", "kb_article.unpublish"}

    deleted = (await api.data(DELETE, {"i": {"id": article["id"]}}, token=tenant.token))["deleteKbArticle"]
    assert deleted == {"deletedId": article["id"], "errors": []}
    assert await KbArticleTranslation.filter(tenant_id=tenant.id).count() == 0
    assert (await api.data(ARTICLE, {"id": article["id"]}, token=tenant.token))["kbArticle"] is None


async def test_readers_never_see_drafts_and_cannot_write(api: Api, rt: Any, tenant: TenantFixture) -> None:
    agent = await member(api, rt, tenant, "agent")  # aftersales.kb:read only
    draft = await create(api, tenant, tr("en", "Internal draft"))
    mixed = await create(api, tenant, tr("en", "Public", published=True), tr("de", "Entwurf"))

    assert (await api.data(ARTICLE, {"id": draft["id"]}, token=agent))["kbArticle"] is None
    assert (await api.data(NODE, {"id": draft["id"]}, token=agent))["node"] is None
    seen = (await api.data(ARTICLE, {"id": mixed["id"]}, token=agent))["kbArticle"]
    assert [t["language"] for t in seen["translations"]] == ["en"] and seen["de"] is None

    listed = (await api.data(ARTICLES, {"first": 10}, token=agent))["kbArticles"]["edges"]
    assert [e["node"]["id"] for e in listed] == [mixed["id"]]
    forbidden = await api.post(ARTICLES, {"f": {"published": False}}, token=agent)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    drafts = (await api.data(ARTICLES, {"f": {"published": False}}, token=tenant.token))["kbArticles"]["edges"]
    assert {e["node"]["id"] for e in drafts} == {draft["id"], mixed["id"]}

    refused = await api.post(CREATE, {"i": {"translations": [tr("en", "Mine")]}}, token=agent)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await api.post(PUBLISH, {"i": {"id": draft["id"], "language": "en"}}, token=agent)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await KbArticleTranslation.filter(tenant_id=tenant.id, published=True).count() == 1


async def test_keyset_pages_and_filters(api: Api, tenant: TenantFixture) -> None:
    category = (await api.data(CATEGORY, {"i": {"name": "FAQ"}}, token=tenant.token))["createKbCategory"]["category"]
    ids = []
    for n in range(5):
        extra = {"categoryId": category["id"]} if n % 2 == 0 else {}
        article = await create(api, tenant, tr("en", f"A{n}", published=n != 4), tr("es", f"E{n}"), **extra)
        ids.append(article["id"])
    seen: list[str] = []
    after = None
    while True:
        page = (await api.data(ARTICLES, {"first": 2, "after": after}, token=tenant.token))["kbArticles"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(ids))  # newest change first, each once

    async def ids_for(f: dict[str, Any]) -> set[str]:
        page = (await api.data(ARTICLES, {"first": 50, "f": f}, token=tenant.token))["kbArticles"]
        return {e["node"]["id"] for e in page["edges"]}

    assert await ids_for({"categoryId": category["id"]}) == {ids[0], ids[2], ids[4]}
    assert await ids_for({"language": "en", "published": True}) == set(ids[:4])
    assert await ids_for({"language": "es", "published": True}) == set()
    assert await ids_for({"language": "es-MX"}) == set(ids)
    bad = await api.post(ARTICLES, {"f": {"language": "klingon-xx"}}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_LANGUAGE"
    bad = await api.post(ARTICLES, {"after": "garbage!"}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_another_tenants_articles_are_not_found(api: Api, tenant: TenantFixture,
                                                      other_tenant: TenantFixture) -> None:
    article = await create(api, tenant, tr("en", "Ours", published=True))
    assert (await api.data(ARTICLE, {"id": article["id"]}, token=other_tenant.token))["kbArticle"] is None
    assert (await api.data(NODE, {"id": article["id"]}, token=other_tenant.token))["node"] is None
    assert (await api.data(ARTICLES, {}, token=other_tenant.token))["kbArticles"]["edges"] == []
    for query, variables in ((UPDATE, {"id": article["id"], "tags": ["theirs"]}),
                             (PUBLISH, {"id": article["id"], "language": "en", "published": False}),
                             (DELETE, {"id": article["id"]})):
        data = await api.data(query, {"i": variables}, token=other_tenant.token)
        (payload,) = data.values()
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    assert (await KbArticle.get(id=pk(article["id"]))).tags == []
    assert await KbArticleTranslation.filter(tenant_id=tenant.id, published=True).count() == 1


async def test_a_page_costs_the_same_whatever_its_size(api: Api, tenant: TenantFixture) -> None:
    async def count(first: int) -> int:
        with count_queries() as seen:
            page = await api.data(ARTICLES, {"first": first}, token=tenant.token)
        assert len(page["kbArticles"]["edges"]) == first
        return len(seen)

    for n in range(6):
        await create(api, tenant, tr("en", f"Page {n}", published=True), tr("fr", f"Page {n}"))
    assert await count(2) == await count(6)
