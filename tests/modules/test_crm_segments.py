"""crm segments over HTTP: the JSON rule language (every field family and op, nesting), evaluated in SQL,
tenant-scoped, refused with paths when wrong, live counts, customers(filter: {segmentId}) and tagging."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.graphql.node import to_global_id
from modules.crm.graphql.types import CustomerType
from modules.crm.models import Customer, CustomerScore, CustomerTag, Order, Segment, Tag
from tests.conftest import Api, TenantFixture

PREVIEW = """query($r: JSON!) { segmentPreview(rule: $r) { count customers { displayName } errors { code field } } }"""
CREATE = """mutation($i: CreateSegmentInput!) { createSegment(input: $i) {
  segment { id name rule count } errors { code field message } } }"""
UPDATE = """mutation($i: UpdateSegmentInput!) { updateSegment(input: $i) {
  segment { id name count } errors { code field } } }"""
DELETE = """mutation($i: DeleteSegmentInput!) { deleteSegment(input: $i) { deletedId errors { code } } }"""
SEGMENTS = "{ segments { id name count } }"
CUSTOMERS = """query($f: CustomerFilterInput) { customers(first: 50, filter: $f) { edges { node { displayName } } } }"""
FIELD = """mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { errors { code } } }"""


def c(field: str, op: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value, **extra}


async def _customer(tid: int, name: str, **fields: Any) -> Customer:
    created_at = fields.pop("created_at", None)
    row = await Customer.create(tenant_id=tid, first_name=name, display_name=name, **fields)
    if created_at:
        await Customer.filter(id=row.id).update(created_at=created_at)
    return row


async def _order(tid: int, customer: Customer, currency: str, total: int, days: int) -> None:
    await Order.create(tenant_id=tid, customer_id=customer.id, number=f"{customer.id}-{total}-{days}",
                       currency=currency, total=total, placed_at=datetime.now(UTC) - timedelta(days=days))


async def _score(tid: int, customer: Customer, r: int, f: int, m: int) -> None:
    now = datetime.now(UTC)
    await CustomerScore.create(tenant_id=tid, customer_id=customer.id, recency=r, frequency=f, monetary=m,
                               order_count=1, last_order_at=now, computed_at=now)


async def _world(api: Api, t: TenantFixture, other: TenantFixture) -> dict[str, Customer]:
    """A, B, C in the tenant (D merged into A); E in the other tenant looks like A in every way."""
    for key, kind, extra in (("size", "NUMBER", {}), ("vat", "TEXT", {}), ("wholesale", "BOOLEAN", {}),
                             ("pref", "CHOICE", {"choices": ["sms", "email"]}), ("since", "DATE", {})):
        data = await api.data(FIELD, {"i": {"key": key, "label": key.title(), "type": kind, **extra}}, token=t.token)
        assert data["createCustomField"]["errors"] == []
    tid = t.id
    a = await _customer(tid, "A", country="DE", language="de-DE", tier="gold", stage="active",
                        birthday=date(1990, 5, 1), marketing_consent=True,
                        created_at=datetime(2023, 3, 15, 10, tzinfo=UTC),
                        custom_fields={"size": 42, "vat": "DE1", "wholesale": True, "pref": "sms", "since": "2020-01-01"})
    b = await _customer(tid, "B", country="FR", language="fr-FR", tier="standard", stage="new",
                        custom_fields={"size": 38, "wholesale": False, "pref": "email", "since": "2022-06-01"})
    cc = await _customer(tid, "C", tier="vip", stage="churned")
    await _customer(tid, "D", country="DE", tier="gold", merged_into_id=a.id)
    vip = await Tag.create(tenant_id=tid, name="vip")
    await CustomerTag.create(tenant_id=tid, customer_id=a.id, tag_id=vip.id)
    for days, total in ((10, 10_000), (40, 10_000), (400, 10_000)):
        await _order(tid, a, "EUR", total, days)
    await _order(tid, b, "EUR", 5_000, 200)
    await _order(tid, b, "USD", 2_000, 100)
    await _score(tid, a, 5, 4, 3)
    await _score(tid, b, 1, 1, 1)
    # The other tenant: a twin of A, which no rule of the tenant may ever count.
    e = await _customer(other.id, "E", country="DE", language="de-DE", tier="gold", stage="active",
                        birthday=date(1990, 5, 1), marketing_consent=True, custom_fields=dict(a.custom_fields))
    their_vip = await Tag.create(tenant_id=other.id, name="vip")
    await CustomerTag.create(tenant_id=other.id, customer_id=e.id, tag_id=their_vip.id)
    for days in (10, 40, 400):
        await _order(other.id, e, "EUR", 10_000, days)
    await _score(other.id, e, 5, 4, 3)
    return {"A": a, "B": b, "C": cc}


CASES: list[tuple[dict[str, Any], set[str]]] = [
    # plain columns
    (c("country", "eq", "de"), {"A"}),
    (c("country", "ne", "DE"), {"B", "C"}),
    (c("country", "in", ["FR", "DE"]), {"A", "B"}),
    (c("country", "not_in", ["FR"]), {"A", "C"}),
    (c("country", "is_null", True), {"C"}),
    (c("country", "is_null", False), {"A", "B"}),
    (c("language", "eq", "de_DE"), {"A"}),
    (c("language", "is_null", True), {"C"}),
    (c("tier", "in", ["gold", "vip"]), {"A", "C"}),
    (c("stage", "eq", "churned"), {"C"}),
    (c("stage", "not_in", ["new", "active"]), {"C"}),
    (c("marketing_consent", "eq", True), {"A"}),
    (c("marketing_consent", "ne", True), {"B", "C"}),
    # dates and date-times (a day value covers the whole day)
    (c("created_at", "eq", "2023-03-15"), {"A"}),
    (c("created_at", "ne", "2023-03-15"), {"B", "C"}),
    (c("created_at", "lt", "2023-03-15"), set()),
    (c("created_at", "lte", "2023-03-15"), {"A"}),
    (c("created_at", "gt", "2023-03-15"), {"B", "C"}),
    (c("created_at", "gte", "2023-03-15T10:00:00+00:00"), {"A", "B", "C"}),
    (c("created_at", "gt", "2023-03-15T10:00:00+00:00"), {"B", "C"}),
    (c("created_at", "between", ["2023-01-01", "2023-03-15"]), {"A"}),
    (c("created_at", "gte", {"days_ago": 1}), {"B", "C"}),
    (c("birthday", "eq", "1990-05-01"), {"A"}),
    (c("birthday", "lt", "2000-01-01"), {"A"}),
    (c("birthday", "ne", "1990-05-01"), {"B", "C"}),
    (c("birthday", "is_null", True), {"B", "C"}),
    # tags
    (c("tag", "has", "vip"), {"A"}),
    (c("tag", "has_not", "vip"), {"B", "C"}),
    # RFM scores (C has none)
    (c("rfm.recency", "gte", 4), {"A"}),
    (c("rfm.recency", "gt", 1), {"A"}),
    (c("rfm.recency", "lt", 2), {"B"}),
    (c("rfm.recency", "lte", 5), {"A", "B"}),
    (c("rfm.recency", "between", [1, 3]), {"B"}),
    (c("rfm.frequency", "in", [1, 4]), {"A", "B"}),
    (c("rfm.frequency", "not_in", [4]), {"B", "C"}),
    (c("rfm.monetary", "eq", 3), {"A"}),
    (c("rfm.monetary", "ne", 3), {"B", "C"}),
    (c("rfm.recency", "is_null", True), {"C"}),
    # order stats (C has no orders: count 0, total 0)
    (c("orders.count", "eq", 0), {"C"}),
    (c("orders.count", "gte", 2), {"A", "B"}),
    (c("orders.count", "gt", 2), {"A"}),
    (c("orders.count", "lt", 3), {"B", "C"}),
    (c("orders.count", "lte", 0), {"C"}),
    (c("orders.count", "between", [1, 2]), {"B"}),
    (c("orders.count", "in", [0, 3]), {"A", "C"}),
    (c("orders.count", "not_in", [0]), {"A", "B"}),
    (c("orders.count", "ne", 2), {"A", "C"}),
    (c("orders.total", "gte", 100, currency="EUR"), {"A"}),
    (c("orders.total", "lt", 100, currency="eur"), {"B", "C"}),
    (c("orders.total", "eq", 0, currency="EUR"), {"C"}),
    (c("orders.total", "eq", 0, currency="USD"), {"A", "C"}),
    (c("orders.total", "gt", 0, currency="USD"), {"B"}),
    (c("orders.total", "between", [50, "50.00"], currency="EUR"), {"B"}),
    (c("orders.total", "ne", 300, currency="EUR"), {"B", "C"}),
    (c("orders.total", "lte", 20, currency="USD"), {"A", "B", "C"}),
    (c("orders.last_at", "gte", {"days_ago": 30}), {"A"}),
    (c("orders.last_at", "lt", {"days_ago": 30}), {"B"}),
    (c("orders.first_at", "lte", {"days_ago": 300}), {"A"}),
    (c("orders.first_at", "gt", {"days_ago": 300}), {"B"}),
    (c("orders.last_at", "between", [(date.today() - timedelta(days=150)).isoformat(), date.today().isoformat()]),
     {"A", "B"}),
    (c("orders.last_at", "is_null", True), {"C"}),
    (c("orders.first_at", "is_null", False), {"A", "B"}),
    # custom fields
    (c("custom.size", "gt", 40), {"A"}),
    (c("custom.size", "gte", 38.0), {"A", "B"}),
    (c("custom.size", "lt", 40), {"B"}),
    (c("custom.size", "lte", 38), {"B"}),
    (c("custom.size", "eq", 42), {"A"}),
    (c("custom.size", "between", [30, 40]), {"B"}),
    (c("custom.size", "in", [38, 42]), {"A", "B"}),
    (c("custom.size", "not_in", [38]), {"A", "C"}),
    (c("custom.size", "ne", 42), {"B", "C"}),
    (c("custom.size", "is_null", True), {"C"}),
    (c("custom.vat", "eq", "DE1"), {"A"}),
    (c("custom.vat", "ne", "DE1"), {"B", "C"}),
    (c("custom.vat", "in", ["DE1", "FR9"]), {"A"}),
    (c("custom.vat", "is_null", False), {"A"}),
    (c("custom.wholesale", "eq", True), {"A"}),
    (c("custom.wholesale", "eq", False), {"B"}),
    (c("custom.wholesale", "ne", True), {"B", "C"}),
    (c("custom.pref", "in", ["sms"]), {"A"}),
    (c("custom.pref", "not_in", ["sms"]), {"B", "C"}),
    (c("custom.since", "lt", "2021-01-01"), {"A"}),
    (c("custom.since", "between", ["2022-01-01", "2022-12-31"]), {"B"}),
    # groups
    ({"all": [c("country", "in", ["DE", "FR"]),
              {"not": {"any": [c("tag", "has", "vip"), c("orders.count", "eq", 0)]}}]}, {"B"}),
    ({"any": [c("tier", "eq", "vip"), {"all": [c("country", "eq", "FR"), c("custom.wholesale", "eq", False)]}]},
     {"B", "C"}),
    # NOT is the exact complement, also where a value is missing (C has no country).
    ({"not": {"all": [c("country", "eq", "DE"), c("tier", "eq", "vip")]}}, {"A", "B", "C"}),
    ({"not": c("country", "eq", "DE")}, {"B", "C"}),
    ({"not": {"not": c("custom.size", "gt", 40)}}, {"A"}),
    ({"all": [c("rfm.recency", "gte", 1), {"any": [{"not": c("orders.total", "lt", 100, currency="EUR")},
                                                    c("orders.last_at", "lt", {"days_ago": 150})]}]}, {"A"}),
]


async def test_every_field_and_op_in_sql(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    await _world(api, tenant, other_tenant)
    failures = []
    for rule, expected in CASES:
        data = await api.data(PREVIEW, {"r": rule}, token=tenant.token)
        preview = data["segmentPreview"]
        got = {x["displayName"] for x in preview["customers"]}
        if preview["errors"] or got != expected or preview["count"] != len(expected):
            failures.append((rule, expected, got, preview["count"], preview["errors"]))
    assert failures == []


async def test_segments_live_counts_filters_and_tagging(api: Api, tenant: TenantFixture,
                                                       other_tenant: TenantFixture) -> None:
    world = await _world(api, tenant, other_tenant)
    rule = {"all": [c("country", "eq", "DE"), c("orders.count", "gte", 1)]}
    data = await api.data(CREATE, {"i": {"name": "German buyers", "rule": rule}}, token=tenant.token)
    assert data["createSegment"]["errors"] == []
    segment = data["createSegment"]["segment"]
    assert segment["rule"] == rule and segment["count"] == 1
    # The other tenant's twin E is never counted; the other tenant's own segment counts only E.
    data = await api.data(CREATE, {"i": {"name": "German buyers", "rule": rule}}, token=other_tenant.token)
    assert data["createSegment"]["segment"]["count"] == 1
    # Live: a new matching customer is counted at once.
    new = await _customer(tenant.id, "F", country="DE")
    await _order(tenant.id, new, "EUR", 100, 1)
    listed = (await api.data(SEGMENTS, token=tenant.token))["segments"]
    assert [(s["name"], s["count"]) for s in listed] == [("German buyers", 2)]
    # customers(filter: {segmentId}), alone and with other filters.
    found = await api.data(CUSTOMERS, {"f": {"segmentId": segment["id"]}}, token=tenant.token)
    assert sorted(e["node"]["displayName"] for e in found["customers"]["edges"]) == ["A", "F"]
    found = await api.data(CUSTOMERS, {"f": {"segmentId": segment["id"], "tiers": ["gold"]}}, token=tenant.token)
    assert [e["node"]["displayName"] for e in found["customers"]["edges"]] == ["A"]
    # Tagging by segment.
    tag = (await api.data('mutation { createTag(input: {name: "de-buyers"}) { tag { id } } }',
                          token=tenant.token))["createTag"]["tag"]["id"]
    data = await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed errors { code } } }",
                          {"i": {"tagIds": [tag], "filter": {"segmentId": segment["id"]}}}, token=tenant.token)
    assert data["tagCustomers"] == {"changed": 2, "errors": []}
    tagged = await CustomerTag.filter(tenant_id=tenant.id, tag__name="de-buyers").values_list("customer_id", flat=True)
    assert sorted(tagged) == sorted([world["A"].id, new.id])
    # A segment of another tenant is not found, and its id gives nothing.
    theirs = (await api.data(SEGMENTS, token=other_tenant.token))["segments"][0]["id"]
    body = await api.post(CUSTOMERS, {"f": {"segmentId": theirs}}, token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await api.post(CUSTOMERS, {"f": {"segmentId": to_global_id(CustomerType, world["A"].id)}},
                          token=tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
    node = await api.data("query($id: ID!) { node(id: $id) { ... on Segment { name count } } }", {"id": theirs},
                          token=tenant.token)
    assert node["node"] is None
    node = await api.data("query($id: ID!) { node(id: $id) { ... on Segment { name count } } }",
                          {"id": segment["id"]}, token=tenant.token)
    assert node["node"] == {"name": "German buyers", "count": 2}
    # Update: rename (unique per tenant) and change the rule; delete.
    await api.data(CREATE, {"i": {"name": "Everyone", "rule": c("orders.count", "gte", 0)}}, token=tenant.token)
    data = await api.data(UPDATE, {"i": {"id": segment["id"], "name": "Everyone"}}, token=tenant.token)
    assert [e["code"] for e in data["updateSegment"]["errors"]] == ["NAME_TAKEN"]
    data = await api.data(UPDATE, {"i": {"id": segment["id"], "rule": c("tag", "has", "de-buyers")}},
                          token=tenant.token)
    assert data["updateSegment"] == {"segment": {"id": segment["id"], "name": "German buyers", "count": 2},
                                     "errors": []}
    data = await api.data(UPDATE, {"i": {"id": theirs, "name": "Mine"}}, token=tenant.token)
    assert [e["code"] for e in data["updateSegment"]["errors"]] == ["NOT_FOUND"]
    data = await api.data(DELETE, {"i": {"id": theirs}}, token=tenant.token)
    assert [e["code"] for e in data["deleteSegment"]["errors"]] == ["NOT_FOUND"]
    data = await api.data(DELETE, {"i": {"id": segment["id"]}}, token=tenant.token)
    assert data["deleteSegment"] == {"deletedId": segment["id"], "errors": []}
    assert [s["name"] for s in (await api.data(SEGMENTS, token=tenant.token))["segments"]] == ["Everyone"]
    assert await Segment.filter(tenant_id=other_tenant.id).count() == 1


def _deep(levels: int) -> dict[str, Any]:
    rule: dict[str, Any] = c("tier", "eq", "gold")
    for _ in range(levels):
        rule = {"not": rule}
    return rule


BAD: list[tuple[Any, dict[tuple[str, ...], str]]] = [
    ({"all": [c("country", "eq", "DE"), c("nope", "eq", 1), c("tier", "gt", "gold"), c("rfm.recency", "eq", 9),
              c("tag", "has", "ghost"), c("country", "in", ["DE", "XX"]), c("stage", "eq", "asleep")]},
     {("rule", "all", "1", "field"): "UNKNOWN_FIELD", ("rule", "all", "2", "op"): "UNKNOWN_OP",
      ("rule", "all", "3", "value"): "INVALID_VALUE", ("rule", "all", "4", "value"): "NOT_FOUND",
      ("rule", "all", "5", "value", "1"): "INVALID_COUNTRY", ("rule", "all", "6", "value"): "INVALID_CHOICE"}),
    (_deep(6), {("rule",) + ("not",) * 6: "RULE_TOO_DEEP"}),
    ({"any": [c("tier", "eq", "gold")] * 51}, {("rule",): "RULE_TOO_LARGE"}),
    ([], {("rule",): "INVALID_RULE"}),
    ({"all": []}, {("rule", "all"): "INVALID_RULE"}),
    ({"all": [c("tier", "eq", "gold")], "any": [c("tier", "eq", "gold")]}, {("rule",): "INVALID_RULE"}),
    (c("orders.total", "gt", 10), {("rule", "currency"): "INVALID_VALUE"}),
    (c("orders.total", "gt", 10.001, currency="EUR"), {("rule", "value"): "TOO_MANY_DECIMALS"}),
    (c("orders.count", "gt", 10, currency="EUR"), {("rule", "currency"): "INVALID_RULE"}),
    (c("orders.count", "between", [5, 1]), {("rule", "value"): "INVALID_VALUE"}),
    (c("orders.count", "between", [1]), {("rule", "value"): "INVALID_VALUE"}),
    (c("orders.count", "in", []), {("rule", "value"): "INVALID_VALUE"}),
    (c("orders.count", "gt", True), {("rule", "value"): "INVALID_VALUE"}),
    (c("orders.last_at", "gt", "yesterday"), {("rule", "value"): "INVALID_VALUE"}),
    (c("orders.last_at", "gt", {"days_ago": -1}), {("rule", "value"): "INVALID_VALUE"}),
    (c("birthday", "gt", {"days_ago": 3}), {("rule", "value"): "INVALID_VALUE"}),
    (c("marketing_consent", "eq", "yes"), {("rule", "value"): "INVALID_VALUE"}),
    (c("tier", "is_null", True), {("rule", "op"): "UNKNOWN_OP"}),
    (c("country", "is_null", "yes"), {("rule", "value"): "INVALID_VALUE"}),
    ({"field": "tier", "op": "eq"}, {("rule", "value"): "INVALID_VALUE"}),
    ({"field": "tier", "op": "eq", "value": "gold", "extra": 1}, {("rule", "extra"): "INVALID_RULE"}),
    (c("custom.unknown", "eq", 1), {("rule", "field"): "UNKNOWN_FIELD"}),
    (c("custom.size", "eq", "42"), {("rule", "value"): "INVALID_VALUE"}),
    (c("custom.size", "has", 42), {("rule", "op"): "UNKNOWN_OP"}),
    (c("custom.pref", "eq", "fax"), {("rule", "value"): "INVALID_CHOICE"}),
    (c("custom.wholesale", "gt", True), {("rule", "op"): "UNKNOWN_OP"}),
    (c("custom.since", "gt", "June"), {("rule", "value"): "INVALID_VALUE"}),
]


@pytest.mark.parametrize("via", ["create", "preview"])
async def test_bad_rules_are_refused_with_paths(api: Api, tenant: TenantFixture, other_tenant: TenantFixture,
                                                 via: str) -> None:
    await _world(api, tenant, other_tenant)
    failures = []
    for rule, expected in BAD:
        if via == "create":
            data = await api.data(CREATE, {"i": {"name": "bad", "rule": rule}}, token=tenant.token)
            payload = data["createSegment"]
            assert payload["segment"] is None
        else:
            payload = (await api.data(PREVIEW, {"r": rule}, token=tenant.token))["segmentPreview"]
        got = {tuple(e["field"]): e["code"] for e in payload["errors"]}
        if got != expected:
            failures.append((rule, expected, got))
    assert failures == []
    assert not await Segment.filter(tenant_id=tenant.id).exists()
    # The bad name and the bad rule in one response.
    data = await api.data(CREATE, {"i": {"name": " ", "rule": c("tier", "eq", "x")}}, token=tenant.token)
    assert {tuple(e["field"]) for e in data["createSegment"]["errors"]} == {("name",), ("rule", "value")}
    # A tag of another tenant does not exist here.
    await Tag.create(tenant_id=other_tenant.id, name="theirs")
    data = await api.data(PREVIEW, {"r": c("tag", "has", "theirs")}, token=tenant.token)
    assert [e["code"] for e in data["segmentPreview"]["errors"]] == ["NOT_FOUND"]


async def test_messages_are_translated(api: Api, tenant: TenantFixture) -> None:
    body = await api.post(CREATE, {"i": {"name": "x", "rule": c("nope", "eq", 1)}}, token=tenant.token, lang="es")
    (error,) = body["data"]["createSegment"]["errors"]
    assert error["code"] == "UNKNOWN_FIELD" and "nope" in error["message"] and "Unknown" not in error["message"]


async def test_tag_conditions_are_stored_by_id_and_survive_a_rename(api: Api, tenant: TenantFixture,
                                                                    other_tenant: TenantFixture) -> None:
    world = await _world(api, tenant, other_tenant)  # A carries the tag "vip"
    rule = {"all": [c("tag", "has", "vip"), {"not": c("tag", "has_not", "vip")}]}
    data = await api.data(CREATE, {"i": {"name": "VIPs", "rule": rule}}, token=tenant.token)
    assert data["createSegment"]["errors"] == []
    assert data["createSegment"]["segment"]["rule"] == rule and data["createSegment"]["segment"]["count"] == 1
    vip = await Tag.get(tenant_id=tenant.id, name="vip")
    stored = (await Segment.get(tenant_id=tenant.id, name="VIPs")).rule
    assert stored == {"all": [c("tag", "has", vip.id), {"not": c("tag", "has_not", vip.id)}]}
    await Tag.filter(id=vip.id).update(name="very-important")
    listed = await api.data("{ segments { name rule count } }", token=tenant.token)
    renamed = {"all": [c("tag", "has", "very-important"), {"not": c("tag", "has_not", "very-important")}]}
    assert listed["segments"] == [{"name": "VIPs", "rule": renamed, "count": 1}]
    found = await api.data(CUSTOMERS, {"f": {"segmentId": data["createSegment"]["segment"]["id"]}},
                           token=tenant.token)
    assert [e["node"]["displayName"] for e in found["customers"]["edges"]] == [world["A"].display_name]
    # The old name is unknown now; the other tenant's tag of the same name is never found; an id of
    # another tenant's tag is refused like an unknown name.
    their_vip = await Tag.get(tenant_id=other_tenant.id, name="vip")
    for value in ("vip", their_vip.id):
        data = await api.data(PREVIEW, {"r": c("tag", "has", value)}, token=tenant.token)
        assert data["segmentPreview"]["errors"] == [{"code": "NOT_FOUND", "field": ["rule", "value"]}]
    data = await api.data(PREVIEW, {"r": c("tag", "has", vip.id)}, token=tenant.token)
    assert data["segmentPreview"]["count"] == 1


HUGE = 10**30


@pytest.mark.parametrize("rule", [
    c("orders.count", "gt", HUGE),
    c("orders.total", "gte", "1e40", currency="EUR"),
    c("rfm.recency", "between", [1, HUGE]),
    c("tag", "has", HUGE),
    c("created_at", "lt", "9999-12-31"),
    c("created_at", "gt", "0001-01-01T00:00:00+05:00"),
    c("orders.last_at", "lt", "9999-12-31T23:59:59-12:00"),
    c("birthday", "between", ["0001-01-01", "9999-12-31"]),
    c("custom.score", "gt", HUGE),
])
async def test_out_of_range_numbers_and_dates_are_refused_at_save(api: Api, tenant: TenantFixture,
                                                                  rule: dict[str, Any]) -> None:
    """They passed validation and failed in SQL (or in date arithmetic): a user error with the path."""
    await api.data(FIELD, {"i": {"key": "score", "label": "Score", "type": "NUMBER"}}, token=tenant.token)
    preview = (await api.data(PREVIEW, {"r": rule}, token=tenant.token))["segmentPreview"]
    assert preview["errors"] and preview["errors"][0]["code"] in ("INVALID_VALUE", "AMOUNT_TOO_LARGE", "DATE_OUT_OF_RANGE"), preview
    assert preview["errors"][0]["field"][:2] == ["rule", "value"]
    created = (await api.data(CREATE, {"i": {"name": "huge", "rule": rule}}, token=tenant.token))["createSegment"]
    assert created["segment"] is None and created["errors"]


async def test_one_broken_segment_does_not_break_the_list(api: Api, tenant: TenantFixture) -> None:
    """A segment saved before the bounds (or by an older version) counts as null with an error at its
    path; the other segments still count."""
    good = (await api.data(CREATE, {"i": {"name": "all", "rule": c("orders.count", "gte", 0)}},
                           token=tenant.token))["createSegment"]["segment"]
    await Segment.create(tenant_id=tenant.id, name="legacy", rule=c("orders.count", "gt", HUGE))
    body = await api.post(SEGMENTS, token=tenant.token)
    counts = {s["name"]: s["count"] for s in body["data"]["segments"]}
    assert counts == {"all": 0, "legacy": None}
    assert good["count"] == 0
    (error,) = body["errors"]
    assert error["path"] == ["segments", 1, "count"] and error["extensions"]["code"] == "SEGMENT_BROKEN"
