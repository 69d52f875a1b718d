"""crm custom fields over HTTP: typed definitions per tenant, customers' values checked against them."""

from __future__ import annotations

from typing import Any

from core.access.admin import assign_role_by_name
from core.identity import add_user
from modules.crm.models import Customer, CustomField
from tests.conftest import PASSWORD, Api, TenantFixture

CREATE_FIELD = """mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) {
  customField { id key label type choices required } errors { code field message } } }"""
UPDATE_FIELD = """mutation($i: UpdateCustomFieldInput!) { updateCustomField(input: $i) {
  customField { id key label type choices required } errors { code field } } }"""
DELETE_FIELD = """mutation($i: DeleteCustomFieldInput!) { deleteCustomField(input: $i) {
  deletedId valuesRemoved errors { code field message } } }"""
FIELDS = "{ customFields { key label type choices required } }"
CREATE = """mutation($i: CustomerInput!) { createCustomer(input: $i) {
  customer { id customFields } errors { code field message } } }"""
UPDATE = """mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) {
  customer { id customFields } errors { code field message } } }"""


async def _field(api: Api, t: TenantFixture, **fields: Any) -> dict[str, Any]:
    data = await api.data(CREATE_FIELD, {"i": fields}, token=t.token)
    assert data["createCustomField"]["errors"] == [], data
    return data["createCustomField"]["customField"]


async def _define_all(api: Api, t: TenantFixture) -> dict[str, dict[str, Any]]:
    return {
        "vat_id": await _field(api, t, key="vat_id", label="VAT ID", type="TEXT"),
        "shoe_size": await _field(api, t, key="shoe_size", label="Shoe size", type="NUMBER"),
        "wholesale": await _field(api, t, key="wholesale", label="Wholesale", type="BOOLEAN"),
        "first_contact": await _field(api, t, key="first_contact", label="First contact", type="DATE"),
        "channel_pref": await _field(api, t, key="channel_pref", label="Channel", type="CHOICE",
                                     choices=["email", "sms"], required=True),
    }


async def test_definitions_are_typed_and_checked(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    await _define_all(api, tenant)
    listed = (await api.data(FIELDS, token=tenant.token))["customFields"]
    assert [(f["key"], f["type"], f["required"]) for f in listed] == [
        ("channel_pref", "CHOICE", True), ("first_contact", "DATE", False), ("shoe_size", "NUMBER", False),
        ("vat_id", "TEXT", False), ("wholesale", "BOOLEAN", False)]
    assert listed[0]["choices"] == ["email", "sms"]
    # Another tenant sees none of them and may reuse a key.
    assert (await api.data(FIELDS, token=other_tenant.token))["customFields"] == []
    await _field(api, other_tenant, key="vat_id", label="VAT", type="TEXT")
    # Bad definitions: every mistake at once, nothing written.
    data = await api.data(CREATE_FIELD, {"i": {"key": "Bad Key", "label": "", "type": "CHOICE", "choices": []}},
                          token=tenant.token)
    errors = {tuple(e["field"]): e["code"] for e in data["createCustomField"]["errors"]}
    assert errors == {("key",): "INVALID_KEY", ("label",): "INVALID_LABEL", ("choices",): "CHOICES_REQUIRED"}
    data = await api.data(CREATE_FIELD, {"i": {"key": "vat_id", "label": "Again", "type": "TEXT",
                                               "choices": ["a"]}}, token=tenant.token)
    errors = {tuple(e["field"]): e["code"] for e in data["createCustomField"]["errors"]}
    assert errors == {("key",): "KEY_TAKEN", ("choices",): "CHOICES_NOT_ALLOWED"}
    data = await api.data(CREATE_FIELD, {"i": {"key": "sizes", "label": "Sizes", "type": "CHOICE",
                                               "choices": ["S", "S"]}}, token=tenant.token)
    assert [(e["code"], e["field"]) for e in data["createCustomField"]["errors"]] == [
        ("DUPLICATE_CHOICE", ["choices", "1"])]
    assert await CustomField.filter(tenant_id=tenant.id).count() == 5


async def test_customer_values_are_validated_all_at_once(api: Api, tenant: TenantFixture) -> None:
    await _define_all(api, tenant)
    data = await api.data(CREATE, {"i": {"firstName": "Ana", "country": "XX", "customFields": {
        "vat_id": 12, "shoe_size": "42", "wholesale": "yes", "first_contact": "31/05/2024", "nope": 1}}},
        token=tenant.token)
    errors = {tuple(e["field"]): e["code"] for e in data["createCustomer"]["errors"]}
    assert errors == {
        ("country",): "INVALID_COUNTRY", ("customFields", "vat_id"): "INVALID_TYPE",
        ("customFields", "shoe_size"): "INVALID_TYPE", ("customFields", "wholesale"): "INVALID_TYPE",
        ("customFields", "first_contact"): "INVALID_TYPE", ("customFields", "nope"): "UNKNOWN_CUSTOM_FIELD",
        ("customFields", "channel_pref"): "REQUIRED"}
    assert not await Customer.filter(tenant_id=tenant.id).exists()
    # Translated, with the label in the message.
    zh = await api.post(CREATE, {"i": {"customFields": {"channel_pref": "fax"}}}, token=tenant.token, lang="zh-CN")
    (error,) = zh["data"]["createCustomer"]["errors"]
    assert error["code"] == "INVALID_CHOICE" and "email, sms" in error["message"] and "Choose" not in error["message"]

    data = await api.data(CREATE, {"i": {"firstName": "Ana", "customFields": {
        "vat_id": "DE123", "shoe_size": 42.5, "wholesale": True, "first_contact": "2024-05-31",
        "channel_pref": "sms"}}}, token=tenant.token)
    assert data["createCustomer"]["errors"] == []
    customer = data["createCustomer"]["customer"]
    assert customer["customFields"] == {"vat_id": "DE123", "shoe_size": 42.5, "wholesale": True,
                                        "first_contact": "2024-05-31", "channel_pref": "sms"}

    # Update merges: given keys change, null removes, the rest stays; required still holds.
    data = await api.data(UPDATE, {"i": {"customerId": customer["id"], "customer": {
        "customFields": {"shoe_size": 43, "vat_id": None}}}}, token=tenant.token)
    assert data["updateCustomer"]["errors"] == []
    assert data["updateCustomer"]["customer"]["customFields"] == {
        "shoe_size": 43, "wholesale": True, "first_contact": "2024-05-31", "channel_pref": "sms"}
    data = await api.data(UPDATE, {"i": {"customerId": customer["id"], "customer": {
        "firstName": "", "customFields": {"channel_pref": None, "wholesale": 1}}}}, token=tenant.token)
    errors = {tuple(e["field"]): e["code"] for e in data["updateCustomer"]["errors"]}
    assert errors == {("customFields", "channel_pref"): "REQUIRED", ("customFields", "wholesale"): "INVALID_TYPE"}
    row = await Customer.get(tenant_id=tenant.id)
    assert row.custom_fields["channel_pref"] == "sms" and row.first_name == "Ana"
    # An update that leaves customFields alone does not re-check them.
    data = await api.data(UPDATE, {"i": {"customerId": customer["id"], "customer": {"lastName": "Lima"}}},
                          token=tenant.token)
    assert data["updateCustomer"]["errors"] == []


async def test_update_and_delete_definitions(api: Api, rt: Any, tenant: TenantFixture) -> None:
    fields = await _define_all(api, tenant)
    size = fields["shoe_size"]
    data = await api.data(UPDATE_FIELD, {"i": {"id": size["id"], "label": "Size (EU)", "required": True}},
                          token=tenant.token)
    assert data["updateCustomField"]["customField"] == {**size, "label": "Size (EU)", "required": True}
    data = await api.data(UPDATE_FIELD, {"i": {"id": size["id"], "choices": ["a"], "label": " "}},
                          token=tenant.token)
    errors = {tuple(e["field"]): e["code"] for e in data["updateCustomField"]["errors"]}
    assert errors == {("choices",): "CHOICES_NOT_ALLOWED", ("label",): "INVALID_LABEL"}
    await api.data(UPDATE_FIELD, {"i": {"id": size["id"], "required": False}}, token=tenant.token)
    data = await api.data(UPDATE_FIELD, {"i": {"id": fields["channel_pref"]["id"], "choices": ["email", "sms", "post"],
                                               "required": False}}, token=tenant.token)
    assert data["updateCustomField"]["customField"]["choices"] == ["email", "sms", "post"]

    for i in range(2):
        await api.data(CREATE, {"i": {"firstName": f"C{i}", "customFields": {"shoe_size": 40 + i,
                                                                              "vat_id": "X"}}}, token=tenant.token)
    # In use: refused unless force, which removes the values too.
    data = await api.data(DELETE_FIELD, {"i": {"id": size["id"]}}, token=tenant.token)
    (error,) = data["deleteCustomField"]["errors"]
    assert error["code"] == "FIELD_IN_USE" and "2" in error["message"]
    assert await CustomField.filter(tenant_id=tenant.id, key="shoe_size").exists()
    data = await api.data(DELETE_FIELD, {"i": {"id": size["id"], "force": True}}, token=tenant.token)
    assert data["deleteCustomField"] == {"deletedId": size["id"], "valuesRemoved": 2, "errors": []}
    assert [c.custom_fields for c in await Customer.filter(tenant_id=tenant.id)] == [{"vat_id": "X"}] * 2
    # Unused: deleted straight away.
    data = await api.data(DELETE_FIELD, {"i": {"id": fields["wholesale"]["id"]}}, token=tenant.token)
    assert data["deleteCustomField"]["valuesRemoved"] == 0 and data["deleteCustomField"]["errors"] == []
    # Used by a segment: refused even with force.
    seg = await api.data("""mutation($i: CreateSegmentInput!) { createSegment(input: $i) { errors { code } } }""",
                         {"i": {"name": "VAT", "rule": {"field": "custom.vat_id", "op": "eq", "value": "X"}}},
                         token=tenant.token)
    assert seg["createSegment"]["errors"] == []
    data = await api.data(DELETE_FIELD, {"i": {"id": fields["vat_id"]["id"], "force": True}}, token=tenant.token)
    assert [e["code"] for e in data["deleteCustomField"]["errors"]] == ["FIELD_IN_SEGMENT"]

    # crm.settings:write is needed; an agent (crm.customer:write only) is refused.
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, agent.id, "agent")
    rt.access.invalidate(tenant.id)
    token = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    body = await api.post(CREATE_FIELD, {"i": {"key": "x", "label": "X", "type": "TEXT"}}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len((await api.data(FIELDS, token=token))["customFields"]) == 3


async def test_a_definition_of_another_tenant_is_not_found(api: Api, tenant: TenantFixture,
                                                            other_tenant: TenantFixture) -> None:
    theirs = await _field(api, other_tenant, key="vat_id", label="VAT", type="TEXT")
    data = await api.data(UPDATE_FIELD, {"i": {"id": theirs["id"], "label": "Mine"}}, token=tenant.token)
    assert [e["code"] for e in data["updateCustomField"]["errors"]] == ["NOT_FOUND"]
    data = await api.data(DELETE_FIELD, {"i": {"id": theirs["id"], "force": True}}, token=tenant.token)
    assert [e["code"] for e in data["deleteCustomField"]["errors"]] == ["NOT_FOUND"]
    assert (await CustomField.get(key="vat_id", tenant_id=other_tenant.id)).label == "VAT"
    # A tenant without definitions refuses any custom value.
    data = await api.data(CREATE, {"i": {"customFields": {"vat_id": "X"}}}, token=tenant.token)
    assert [e["code"] for e in data["createCustomer"]["errors"]] == ["UNKNOWN_CUSTOM_FIELD"]
