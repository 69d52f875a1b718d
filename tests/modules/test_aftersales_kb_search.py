"""Knowledge-base search and ticket suggestions over HTTP, on the database under test (FTS5 on SQLite,
tsvector on PostgreSQL): ranking, stemming, CJK, hostile input, drafts, and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest

from core.graphql.node import to_global_id
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.models import KbArticleTranslation, Ticket, TicketMessage
from tests.conftest import Api, TenantFixture
from tests.modules.test_aftersales_kb import ARTICLE, CREATE, UPDATE, member, tr

SEARCH = """query($q: String!, $lang: String, $first: Int, $drafts: Boolean) {
  searchKbArticles(query: $q, language: $lang, first: $first, includeDrafts: $drafts) {
    score article { id } translation { language title published } } }"""
SUGGEST = """query($t: ID!, $first: Int) { suggestedKbArticles(ticketId: $t, first: $first) {
  score article { id } translation { language title } } }"""
TICKET_NODE = """query($id: ID!) { node(id: $id) { ... on Ticket { subject suggestedKbArticles(first: 3) {
  translation { title } } } } }"""

HOSTILE = [
    "'); DROP TABLE aftersales_kb_article_translation; --",
    '"unbalanced quote', 'return"', '"""', '""', "NEAR(return policy, 2)", "return*", "^return", "* OR *",
    "return AND", "OR", "AND NOT", "NOT return", "- -", "-return", "title:return", "return:", "(return",
    "return)", "{return}", "\\", "%_%", "\x00return", "", "   ", "!!!", "return " * 200, "退货\"", "'\"';--",
]


async def titles(api: Api, t: TenantFixture | str, query: str, **variables: Any) -> list[str]:
    token = t if isinstance(t, str) else t.token
    data = await api.data(SEARCH, {"q": query, **variables}, token=token)
    return [r["translation"]["title"] for r in data["searchKbArticles"]]


async def publish(api: Api, t: TenantFixture, *translations: dict[str, Any]) -> str:
    data = await api.data(CREATE, {"i": {"translations": list(translations)}}, token=t.token)
    assert data["createKbArticle"]["errors"] == [], data
    article_id: str = data["createKbArticle"]["article"]["id"]
    return article_id


@pytest.fixture
async def library(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> dict[str, str]:
    ids = {
        "returns": await publish(api, tenant, tr("en", "Return policy", "You can return items within 30 days.", True),
                                 tr("de", "Rücksendungen", "Sie können Artikel innerhalb von 30 Tagen "
                                                           "zurücksenden. Rücksendung kostenlos.", True)),
        "shipping": await publish(api, tenant, tr("en", "Shipping times", "Parcels arrive in 3 days. Returned "
                                                                          "parcels are refunded.", True)),
        "cjk": await publish(api, tenant, tr("zh", "如何办理退货退款", "请在三十天内申请退货。", True)),
        "refund_zh": await publish(api, tenant, tr("zh", "退款政策", "款项在七日内退回。", True)),
        "draft": await publish(api, tenant, tr("en", "Returning damaged goods (draft)", "Damaged returns.")),
    }
    # The other tenant has the very same texts: never found, never suggested.
    await publish(api, other_tenant, tr("en", "Return policy (theirs)", "You can return items within 30 days.", True),
                  tr("de", "Rücksendungen (ihre)", "Rücksendung kostenlos.", True))
    return ids


async def test_ranked_stemmed_and_language_aware(api: Api, tenant: TenantFixture, library: dict[str, str]) -> None:
    # The title match ranks first; "returns" finds "return" and "returned" (English stemming).
    assert await titles(api, tenant, "returns") == ["Return policy", "Shipping times"]
    data = await api.data(SEARCH, {"q": "returns"}, token=tenant.token)
    scores = [r["score"] for r in data["searchKbArticles"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
    assert await titles(api, tenant, "return parcels") == ["Shipping times"]  # every word must match
    assert await titles(api, tenant, "RETURN", lang="de") == []
    assert await titles(api, tenant, "Rücksendung", lang="de-CH") == ["Rücksendungen"]
    assert await titles(api, tenant, '"within 30 days"') == ["Return policy"]
    assert await titles(api, tenant, "shipping or policy", first=1) in (["Return policy"], ["Shipping times"])
    assert sorted(await titles(api, tenant, "shipping or policy")) == ["Return policy", "Shipping times"]
    # Chinese: characters as a phrase, so 退货 (return goods) is not 退款 (refund).
    assert await titles(api, tenant, "退货") == ["如何办理退货退款"]
    assert sorted(await titles(api, tenant, "退款", lang="zh")) == ["如何办理退货退款", "退款政策"]
    bad = await api.post(SEARCH, {"q": "x", "lang": "not a language"}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_LANGUAGE"
    too_many = await api.post(SEARCH, {"q": "x", "first": 1000}, token=tenant.token)
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


async def test_hostile_queries_never_break_the_search(api: Api, tenant: TenantFixture,
                                                      library: dict[str, str]) -> None:
    for query in HOSTILE:
        body = await api.post(SEARCH, {"q": query}, token=tenant.token)
        if "\x00" in query:  # no text may hold NUL: refused before the search runs, with its path
            assert body["errors"][0]["extensions"] == {"code": "INVALID_TEXT", "field": ["q"]}, body
            continue
        assert "errors" not in body, (query, body)
        found = [r["translation"]["title"] for r in body["data"]["searchKbArticles"]]
        assert all("theirs" not in t and "draft" not in t for t in found), (query, found)
    assert await titles(api, tenant, "NEAR(return policy, 2)") == []  # "near" is a plain word here
    assert await titles(api, tenant, "return*") == ["Return policy", "Shipping times"]
    assert await titles(api, tenant, "title:return") == []  # not a column filter: "title" must match too
    assert await KbArticleTranslation.filter(tenant_id=tenant.id).count() == 6  # nothing dropped


async def test_drafts_only_for_writers_and_other_tenants_never(api: Api, rt: Any, tenant: TenantFixture,
                                                               other_tenant: TenantFixture,
                                                               library: dict[str, str]) -> None:
    assert "Returning damaged goods (draft)" not in await titles(api, tenant, "damaged")
    assert await titles(api, tenant, "damaged", drafts=True) == ["Returning damaged goods (draft)"]
    agent = await member(api, rt, tenant, "agent")
    assert await titles(api, agent, "damaged") == []
    refused = await api.post(SEARCH, {"q": "damaged", "drafts": True}, token=agent)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await titles(api, agent, "return policy") == ["Return policy"]
    assert await titles(api, other_tenant, "return policy", drafts=True) == ["Return policy (theirs)"]
    assert await titles(api, other_tenant, "shipping") == []

    # Editing re-indexes; unpublishing hides; deleting a language drops it from the index.
    await api.data(UPDATE, {"i": {"id": library["shipping"], "translations": [
        tr("en", "Delivery times", "Parcels arrive in 3 days.")]}}, token=tenant.token)
    assert await titles(api, tenant, "shipping") == []
    assert await titles(api, tenant, "returns") == ["Return policy"]
    assert await titles(api, tenant, "delivery") == ["Delivery times"]
    await api.data(UPDATE, {"i": {"id": library["returns"], "removeLanguages": ["de"]}}, token=tenant.token)
    assert await titles(api, tenant, "Rücksendung", drafts=True) == []
    data = await api.data(ARTICLE, {"id": library["returns"]}, token=tenant.token)
    assert [t["language"] for t in data["kbArticle"]["translations"]] == ["en"]


async def _ticket(tenant_id: int, number: int, subject: str, body: str, language: str = "") -> Ticket:
    ticket = await Ticket.create(tenant_id=tenant_id, number=number, subject=subject, language=language)
    await TicketMessage.create(tenant_id=tenant_id, ticket_id=ticket.id, kind="note", body="Internal: refund?")
    await TicketMessage.create(tenant_id=tenant_id, ticket_id=ticket.id, kind="inbound", body=body,
                               language=language)
    await TicketMessage.create(tenant_id=tenant_id, ticket_id=ticket.id, kind="inbound", body="Delivery times?")
    return ticket


async def test_suggestions_for_a_ticket(api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture,
                                        library: dict[str, str]) -> None:
    german = await _ticket(tenant.id, 1, "Rücksendung", "Hallo, wie funktioniert die Rücksendung? Danke", "de")
    gid = to_global_id(TicketType, german.id)
    found = (await api.data(SUGGEST, {"t": gid}, token=tenant.token))["suggestedKbArticles"]
    # The German version first, then the tenant's language (English) fills the list, one per article.
    assert [(r["translation"]["language"], r["translation"]["title"]) for r in found][:1] == [("de", "Rücksendungen")]
    assert len({r["article"]["id"] for r in found}) == len(found)

    english = await _ticket(tenant.id, 2, "Question", "Hello, I want to return the damaged items I received")
    found = (await api.data(SUGGEST, {"t": to_global_id(TicketType, english.id), "first": 5}, token=tenant.token))[
        "suggestedKbArticles"]
    # Best first ("return" and "items" in the policy, only "returned" in shipping); never the draft nor theirs.
    assert [r["translation"]["title"] for r in found] == ["Return policy", "Shipping times"]

    chinese = await _ticket(tenant.id, 3, "退货", "我想申请退货", "zh")
    found = (await api.data(SUGGEST, {"t": to_global_id(TicketType, chinese.id)}, token=tenant.token))[
        "suggestedKbArticles"]
    assert found[0]["translation"]["title"] == "如何办理退货退款"

    nothing = await _ticket(tenant.id, 4, "Hi", "Thanks!!! :)")
    assert (await api.data(SUGGEST, {"t": to_global_id(TicketType, nothing.id)}, token=tenant.token))[
        "suggestedKbArticles"] == []

    agent = await member(api, rt, tenant, "agent")
    via_node = (await api.data(TICKET_NODE, {"id": to_global_id(TicketType, english.id)}, token=agent))["node"]
    assert via_node["suggestedKbArticles"] == [{"translation": {"title": t}} for t in ("Return policy",
                                                                                          "Shipping times")]

    # Another tenant's ticket is not found; its own ticket never gets this tenant's articles.
    stranger = await api.post(SUGGEST, {"t": gid}, token=other_tenant.token)
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    theirs = await _ticket(other_tenant.id, 1, "Shipping", "How long is shipping? Delivery times?")
    found = (await api.data(SUGGEST, {"t": to_global_id(TicketType, theirs.id)}, token=other_tenant.token))[
        "suggestedKbArticles"]
    assert found == []
    bad = await api.post(SUGGEST, {"t": "nonsense"}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"
