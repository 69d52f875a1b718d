"""Customer addresses over HTTP: validated, encrypted, masked without PII permission, tenant-scoped."""

from __future__ import annotations

import json
from typing import Any

from tortoise import connections

from core.access.admin import assign_role_by_name
from core.identity import add_user
from core.models import AuditEntry
from modules.crm.models import Customer
from tests.conftest import PASSWORD, Api, TenantFixture

FIELDS = "address { id kind name line1 line2 postalCode city region country } errors { code field message }"
ADD = "mutation($i: AddCustomerAddressInput!) { addCustomerAddress(input: $i) { " + FIELDS + " } }"
UPDATE = "mutation($i: UpdateCustomerAddressInput!) { updateCustomerAddress(input: $i) { " + FIELDS + " } }"
REMOVE = ("mutation($i: RemoveCustomerAddressInput!) { removeCustomerAddress(input: $i) { removedId "
          "customer { addresses { id } } errors { code field } } }")
VIEW = "query($id: ID!) { customer(id: $id) { addresses { id kind name line1 line2 postalCode city country } } }"
STREET = "221B Baker Street"


async def _customer(api: Api, t: TenantFixture, **fields: Any) -> str:
    data = await api.data("mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } errors { code } } }",
                          {"i": {"firstName": "Sherlock", "lastName": "Holmes", **fields}}, token=t.token)
    return str(data["createCustomer"]["customer"]["id"])


async def _add(api: Api, t: TenantFixture, customer: str, **address: Any) -> dict[str, Any]:
    data = await api.data(ADD, {"i": {"customerId": customer, "address": address}}, token=t.token)
    return data["addCustomerAddress"]


async def test_address_crud_encrypted_and_never_in_the_audit(api: Api, tenant: TenantFixture) -> None:
    cid = await _customer(api, tenant)
    added = await _add(api, tenant, cid, kind="billing", name="Sherlock Holmes", line1=STREET, line2="Flat 2",
                       postalCode="NW1 6XE", city="London", country="gb")
    assert added["errors"] == []
    address = added["address"]
    assert address["id"] and address["kind"] == "billing" and address["country"] == "GB"
    assert (address["line1"], address["postalCode"], address["line2"]) == (STREET, "NW1 6XE", "Flat 2")
    _, rows = await connections.get("default").execute_query("SELECT name, line1, line2, postal_code FROM crm_address")
    raw = json.dumps([dict(r) for r in rows])
    assert "Baker" not in raw and "NW1" not in raw and "Sherlock" not in raw
    second = (await _add(api, tenant, cid, line1="1 Other Road", country="FR"))["address"]
    assert second["kind"] == "shipping" and second["name"] is None and second["city"] == ""
    # Update: only the given fields change.
    upd = await api.data(UPDATE, {"i": {"addressId": address["id"], "address": {"line2": None, "city": "Londres"}}},
                         token=tenant.token)
    assert upd["updateCustomerAddress"]["errors"] == []
    assert upd["updateCustomerAddress"]["address"]["line2"] is None
    assert upd["updateCustomerAddress"]["address"]["line1"] == STREET
    assert upd["updateCustomerAddress"]["address"]["city"] == "Londres"
    view = await api.data(VIEW, {"id": cid}, token=tenant.token)
    assert [a["id"] for a in view["customer"]["addresses"]] == [address["id"], second["id"]]
    # node(id:) resolves an address.
    node = await api.data("query($id: ID!) { node(id: $id) { ... on PostalAddress { line1 country } } }",
                          {"id": address["id"]}, token=tenant.token)
    assert node["node"] == {"line1": STREET, "country": "GB"}
    removed = await api.data(REMOVE, {"i": {"addressId": second["id"]}}, token=tenant.token)
    assert removed["removeCustomerAddress"]["removedId"] == second["id"]
    assert removed["removeCustomerAddress"]["customer"]["addresses"] == [{"id": address["id"]}]
    audit = await api.data('{ auditLog(first: 20, filter: {objectType: "Customer"}) '
                           '{ edges { node { action before after } } } }', token=tenant.token)
    actions = [e["node"]["action"] for e in audit["auditLog"]["edges"]]
    assert {"customer.address.add", "customer.address.update", "customer.address.remove"} <= set(actions)
    text = json.dumps(audit)
    for secret in ("Baker", "NW1", "Flat 2", "Londres", "Other Road", "Sherlock Holmes"):
        assert secret not in text, secret


async def test_validation_errors(api: Api, tenant: TenantFixture) -> None:
    cid = await _customer(api, tenant)
    bad = await _add(api, tenant, cid, kind="home", line1="  ", country="XX", postalCode="9" * 30)
    assert bad["address"] is None
    assert {(tuple(e["field"]), e["code"]) for e in bad["errors"]} == {
        (("kind",), "INVALID_CHOICE"), (("line1",), "REQUIRED"), (("country",), "INVALID_COUNTRY"),
        (("postalCode",), "TOO_LONG")}
    missing = await _add(api, tenant, cid, line1="Somewhere 1")
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [(["country"], "REQUIRED")]
    ok = (await _add(api, tenant, cid, line1="Somewhere 1", country="DE"))["address"]
    upd = await api.data(UPDATE, {"i": {"addressId": ok["id"], "address": {"line1": "", "country": "ZZ"}}},
                         token=tenant.token)
    assert {e["code"] for e in upd["updateCustomerAddress"]["errors"]} == {"REQUIRED", "INVALID_COUNTRY"}
    wrong_id = await api.data(UPDATE, {"i": {"addressId": cid, "address": {"city": "X"}}}, token=tenant.token)
    assert wrong_id["updateCustomerAddress"]["errors"][0]["code"] == "INVALID_ID"
    assert not await Customer.filter(tenant_id=tenant.id, id=0).exists()


async def test_masked_without_pii_permission(api: Api, rt: Any, tenant: TenantFixture) -> None:
    cid = await _customer(api, tenant)
    address = (await _add(api, tenant, cid, name="Sherlock Holmes", line1=STREET, postalCode="NW1 6XE",
                          city="London", country="GB"))["address"]
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, agent.id, "agent")
    rt.access.invalidate(tenant.id)
    token = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    view = await api.data(VIEW, {"id": cid}, token=token)
    assert view["customer"]["addresses"] == [{"id": address["id"], "kind": "shipping", "name": "S***",
                                              "line1": "2***", "line2": None, "postalCode": "N***",
                                              "city": "London", "country": "GB"}]
    node = await api.data("query($id: ID!) { node(id: $id) { ... on PostalAddress { name line1 } } }",
                          {"id": address["id"]}, token=token)
    assert node["node"] == {"name": "S***", "line1": "2***"}
    # An agent may write (crm.customer:write) but still sees the result masked.
    added = await _add(api, tenant.__class__(**{**tenant.__dict__, "token": token}), cid, line1="10 Downing Street",
                       country="GB")
    assert added["errors"] == [] and added["address"]["line1"] == "1***"
    assert "Downing" not in json.dumps(added)


async def test_other_tenants_ids_and_merged_or_erased_customers(api: Api, tenant: TenantFixture,
                                                                other_tenant: TenantFixture) -> None:
    cid = await _customer(api, tenant)
    address = (await _add(api, tenant, cid, line1=STREET, country="GB"))["address"]
    theirs = await _add(api, other_tenant, cid, line1="Intruder 1", country="GB")
    assert [e["code"] for e in theirs["errors"]] == ["NOT_FOUND"]
    upd = await api.data(UPDATE, {"i": {"addressId": address["id"], "address": {"line1": "Hijacked"}}},
                         token=other_tenant.token)
    assert upd["updateCustomerAddress"]["errors"][0]["code"] == "NOT_FOUND"
    rem = await api.data(REMOVE, {"i": {"addressId": address["id"]}}, token=other_tenant.token)
    assert rem["removeCustomerAddress"]["errors"][0]["code"] == "NOT_FOUND"
    node = await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": address["id"]},
                          token=other_tenant.token)
    assert node["node"] is None
    # A merged or erased customer's addresses are not edited.
    row = await Customer.get(id=int(__import__("base64").b64decode(cid).decode().split(":")[1]))
    row.stage = "erased"
    await row.save()
    refused = await _add(api, tenant, cid, line1="New 1", country="GB")
    assert refused["errors"][0]["code"] == "CUSTOMER_ERASED"
    upd = await api.data(UPDATE, {"i": {"addressId": address["id"], "address": {"city": "X"}}}, token=tenant.token)
    assert upd["updateCustomerAddress"]["errors"][0]["code"] == "CUSTOMER_ERASED"
    other = await Customer.create(tenant_id=tenant.id, first_name="Target", display_name="Target")
    row.stage, row.merged_into_id = "active", other.id
    await row.save()
    refused = await _add(api, tenant, cid, line1="New 1", country="GB")
    assert refused["errors"][0]["code"] == "CUSTOMER_MERGED"


async def test_one_default_address_per_kind(api: Api, tenant: TenantFixture) -> None:
    cid = await _customer(api, tenant)

    async def defaults() -> dict[str, list[str]]:
        """The default of each kind, read from `isDefault` and checked against the default fields."""
        view = await api.data("query($id: ID!) { customer(id: $id) { addresses { id kind isDefault } "
                              "defaultShippingAddress { id } defaultBillingAddress { id } } }",
                              {"id": cid}, token=tenant.token)
        out: dict[str, list[str]] = {}
        for a in view["customer"]["addresses"]:
            if a["isDefault"]:
                out.setdefault(a["kind"], []).append(a["id"])
        for kind in ("shipping", "billing"):
            field = view["customer"][f"default{kind.title()}Address"]
            assert ([field["id"]] if field else []) == out.get(kind, []), (kind, field, out)
        return out

    first = (await _add(api, tenant, cid, line1="1 First St", country="GB"))["address"]["id"]
    second = (await _add(api, tenant, cid, line1="2 Second St", country="GB"))["address"]["id"]
    bill = (await _add(api, tenant, cid, kind="billing", line1="3 Bill St", country="GB"))["address"]["id"]
    assert await defaults() == {"shipping": [first], "billing": [bill]}  # the first of each kind
    made = await api.data(UPDATE, {"i": {"addressId": second, "address": {"isDefault": True}}}, token=tenant.token)
    assert made["updateCustomerAddress"]["errors"] == []
    assert await defaults() == {"shipping": [second], "billing": [bill]}
    third = await _add(api, tenant, cid, line1="4 Third St", country="GB", isDefault=True)
    assert await defaults() == {"shipping": [third["address"]["id"]], "billing": [bill]}
    refused = await api.data(UPDATE, {"i": {"addressId": third["address"]["id"], "address": {"isDefault": False}}},
                             token=tenant.token)
    assert refused["updateCustomerAddress"]["errors"] == [
        {"code": "DEFAULT_REQUIRED", "field": ["isDefault"], "message": refused["updateCustomerAddress"]["errors"][0][
            "message"]}]
    # Removing the default hands it to the oldest address left; moving it to billing does the same.
    await api.data(REMOVE, {"i": {"addressId": third["address"]["id"]}}, token=tenant.token)
    assert await defaults() == {"shipping": [first], "billing": [bill]}
    moved = await api.data(UPDATE, {"i": {"addressId": first, "address": {"kind": "billing"}}}, token=tenant.token)
    assert moved["updateCustomerAddress"]["address"]["kind"] == "billing"
    assert await defaults() == {"shipping": [second], "billing": [bill]}
    entries = await AuditEntry.filter(tenant_id=tenant.id, action="customer.address.update").order_by("id")
    assert "is_default" in entries[0].after["fields_changed"]
