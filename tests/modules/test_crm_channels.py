"""Sales channels over HTTP: credentials encrypted at rest, never returned, never audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from core.access.admin import assign_role_by_name
from core.identity import add_user
from core.sql import fetch
from modules.crm.models import Customer, CustomerIdentity, Order
from tests.conftest import PASSWORD, Api, TenantFixture

SECRET = "shpat_TOPSECRET_4f9a8b7c6d"
FIELDS = "channel { id platform name hasCredentials credentialKeys } errors { code field message }"
CREATE = "mutation($i: CreateSalesChannelInput!) { createSalesChannel(input: $i) { " + FIELDS + " } }"
UPDATE = "mutation($i: UpdateSalesChannelInput!) { updateSalesChannel(input: $i) { " + FIELDS + " } }"
DELETE = ("mutation($i: DeleteSalesChannelInput!) { deleteSalesChannel(input: $i) { deletedId "
          "errors { code field message } } }")
AUDIT = '{ auditLog(first: 50, filter: {objectType: "SalesChannel"}) { edges { node { action before after } } } }'


def _pk(gid: str) -> int:
    import base64
    return int(base64.b64decode(gid).decode().split(":")[1])


async def _create(api: Api, t: TenantFixture, **i: Any) -> dict[str, Any]:
    data = await api.data(CREATE, {"i": {"platform": "SHOPIFY", "name": "Shopify EU", **i}}, token=t.token)
    return data["createSalesChannel"]


async def test_credentials_are_encrypted_never_returned_and_never_audited(api: Api, tenant: TenantFixture) -> None:
    created = await _create(api, tenant, credentials={"access_token": SECRET, "shop": "acme.myshopify.com"})
    assert created["errors"] == []
    channel = created["channel"]
    assert channel["hasCredentials"] is True and channel["credentialKeys"] == ["access_token", "shop"]
    assert SECRET not in json.dumps(created)
    rows = await fetch("SELECT credentials FROM crm_channel WHERE id = {p[0]}", [_pk(channel["id"])])
    raw = rows[0]["credentials"]
    assert raw.startswith("v1.") and SECRET not in raw and "acme" not in raw
    # Rotate one key, add one, remove one: the audit names keys, never values.
    new_secret = "shpat_NEWSECRET_0000"
    updated = await api.data(UPDATE, {"i": {"channelId": channel["id"], "name": "Shopify Europe",
                                            "credentials": {"access_token": new_secret, "api_version": "2024-10"}}},
                             token=tenant.token)
    assert updated["updateSalesChannel"]["errors"] == []
    assert updated["updateSalesChannel"]["channel"]["credentialKeys"] == ["access_token", "api_version"]
    listed = await api.data("{ salesChannels { nodes { id name hasCredentials credentialKeys } } }", token=tenant.token)
    view = await api.data("query($id: ID!) { node(id: $id) { ... on SalesChannel { name credentialKeys } } }",
                          {"id": channel["id"]}, token=tenant.token)
    audit = await api.data(AUDIT, token=tenant.token)
    everything = json.dumps([created, updated, listed, view, audit])
    assert SECRET not in everything and new_secret not in everything and "2024-10" not in everything
    assert "acme.myshopify.com" not in everything
    entries = [e["node"] for e in audit["auditLog"]["edges"]]
    change = next(e for e in entries if e["action"] == "channel.update")
    assert change["after"]["credentials"] == {"added": ["api_version"], "changed": ["access_token"],
                                              "removed": ["shop"]}
    # Clearing them.
    cleared = await api.data(UPDATE, {"i": {"channelId": channel["id"], "credentials": None}}, token=tenant.token)
    assert cleared["updateSalesChannel"]["channel"]["hasCredentials"] is False
    rows = await fetch("SELECT credentials FROM crm_channel WHERE id = {p[0]}", [_pk(channel["id"])])
    assert rows[0]["credentials"] is None


async def test_bad_input_name_clash_and_permission(api: Api, rt: Any, tenant: TenantFixture,
                                                   other_tenant: TenantFixture) -> None:
    bad = await _create(api, tenant, name=" ", credentials=["not", "an", "object"])
    assert {(tuple(e["field"]), e["code"]) for e in bad["errors"]} == {
        (("name",), "INVALID_NAME"), (("credentials",), "INVALID_CREDENTIALS")}
    huge = await _create(api, tenant, credentials={"k": "x" * 17_000})
    assert huge["errors"][0]["code"] == "CREDENTIALS_TOO_LARGE" and huge["channel"] is None
    first = await _create(api, tenant, name="Amazon DE", platform="AMAZON")
    assert first["errors"] == []
    clash = await _create(api, tenant, name="Amazon DE")
    assert clash["errors"][0]["code"] == "CHANNEL_NAME_TAKEN" and "Amazon DE" in clash["errors"][0]["message"]
    assert (await _create(api, other_tenant, name="Amazon DE"))["errors"] == []  # unique per tenant only
    second = await _create(api, tenant, name="Amazon FR")
    renamed = await api.data(UPDATE, {"i": {"channelId": second["channel"]["id"], "name": "Amazon DE"}},
                             token=tenant.token)
    assert renamed["updateSalesChannel"]["errors"][0]["code"] == "CHANNEL_NAME_TAKEN"
    # Another tenant's channel is not found.
    theirs = await api.data(UPDATE, {"i": {"channelId": first["channel"]["id"], "name": "Mine"}},
                            token=other_tenant.token)
    assert theirs["updateSalesChannel"]["errors"][0]["code"] == "NOT_FOUND"
    gone = await api.data(DELETE, {"i": {"channelId": first["channel"]["id"]}}, token=other_tenant.token)
    assert gone["deleteSalesChannel"]["errors"][0]["code"] == "NOT_FOUND"
    # An agent (no crm.channel:write) is refused.
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, agent.id, "agent")
    rt.access.invalidate(tenant.id)
    token = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    body = await api.post(CREATE, {"i": {"platform": "EBAY", "name": "eBay"}}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_delete_is_refused_while_orders_or_identities_use_the_channel(api: Api, tenant: TenantFixture) -> None:
    channel = (await _create(api, tenant, name="WooCommerce", platform="WOOCOMMERCE"))["channel"]
    pk = _pk(channel["id"])
    customer = await Customer.create(tenant_id=tenant.id, first_name="A", display_name="A")
    identity = await CustomerIdentity.create(tenant_id=tenant.id, customer_id=customer.id, channel_id=pk,
                                             external_id="W1")
    order = await Order.create(tenant_id=tenant.id, customer_id=customer.id, channel_id=pk, number="W-1",
                               currency="EUR", placed_at=datetime.now(UTC))
    refused = await api.data(DELETE, {"i": {"channelId": channel["id"]}}, token=tenant.token)
    assert refused["deleteSalesChannel"]["deletedId"] is None
    error = refused["deleteSalesChannel"]["errors"][0]
    assert error["code"] == "CHANNEL_IN_USE" and "1 orders" in error["message"]
    await order.delete()
    refused = await api.data(DELETE, {"i": {"channelId": channel["id"]}}, token=tenant.token)
    assert refused["deleteSalesChannel"]["errors"][0]["code"] == "CHANNEL_IN_USE"
    await identity.delete()
    done = await api.data(DELETE, {"i": {"channelId": channel["id"]}}, token=tenant.token)
    assert done["deleteSalesChannel"] == {"deletedId": channel["id"], "errors": []}
    assert (await api.data("{ salesChannels { nodes { id } } }", token=tenant.token))["salesChannels"]["nodes"] == []
