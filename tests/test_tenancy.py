"""A global ID from another tenant resolves to "not found", for every Node type in the schema."""

from __future__ import annotations

from typing import Any

import pytest

from core.graphql.node import to_global_id
from core.models import Tenant
from core.tenancy import scoped
from schema.builder import build_schema, node_types
from tests.conftest import Api, TenantFixture

NODE = "query($id: ID!) { node(id: $id) { id __typename } }"


async def _give_every_node_type_a_row(api: Api, rt: Any, t: TenantFixture) -> None:
    for module in rt.modules:
        await module.load_demo(t.id)
    await api.data('mutation { createRole(input: {name: "walker"}) { errors { code } } }', token=t.token)


async def test_every_node_type_is_tenant_scoped(api: Api, rt: Any, tenant: TenantFixture,
                                                other_tenant: TenantFixture) -> None:
    await _give_every_node_type_a_row(api, rt, tenant)
    types = node_types(build_schema(rt.modules, rt.settings))
    assert {t.__strawberry_definition__.name for t in types} >= {"User", "Role", "Team", "AuditEntry"}
    for node_type in types:
        name = node_type.__strawberry_definition__.name
        mine = set(await node_type.scope(tenant.id).values_list("id", flat=True))
        theirs = set(await node_type.scope(other_tenant.id).values_list("id", flat=True))
        only_mine = mine - theirs
        assert only_mine, f"no row of {name} exists only in the test tenant: add it to the module's demo data"
        for pk in sorted(only_mine)[:3]:
            gid = to_global_id(node_type, pk)
            own = await api.data(NODE, {"id": gid}, token=tenant.token)
            assert own["node"] == {"id": gid, "__typename": name}, name
            foreign = await api.data(NODE, {"id": gid}, token=other_tenant.token)
            assert foreign["node"] is None, f"{name} {pk} leaked to another tenant"


async def test_malformed_and_unknown_global_ids_are_not_found(api: Api, tenant: TenantFixture) -> None:
    for bad in ["", "not-base64!", "VXNlcjp4", "Tm9QZTox", "UXVlcnk6MQ=="]:
        assert (await api.data(NODE, {"id": bad}, token=tenant.token))["node"] is None


async def test_mutations_refuse_another_tenants_ids(api: Api, tenant: TenantFixture,
                                                    other_tenant: TenantFixture) -> None:
    from modules.team.graphql.types import RoleType, UserType

    role = await api.data('mutation { createRole(input: {name: "theirs"}) { role { id } } }',
                          token=other_tenant.token)
    their_role = role["createRole"]["role"]["id"]
    their_user = to_global_id(UserType, other_tenant.admin_id)
    my_user = to_global_id(UserType, tenant.admin_id)
    result = await api.data(
        "mutation($i: AssignRoleInput!) { assignRole(input: $i) { user { id } errors { code field } } }",
        {"i": {"userId": my_user, "roleId": their_role}}, token=tenant.token)
    assert result["assignRole"] == {"user": None, "errors": [{"code": "NOT_FOUND", "field": ["roleId"]}]}
    result = await api.data(
        "mutation($i: GrantInput!) { grantPermission(input: $i) { role { id } errors { code } } }",
        {"i": {"roleId": their_role, "permission": "team.user:read"}}, token=tenant.token)
    assert result["grantPermission"]["errors"][0]["code"] == "NOT_FOUND"
    mine = await api.data('mutation { createRole(input: {name: "mine"}) { role { id } } }', token=tenant.token)
    result = await api.data(
        "mutation($i: AssignRoleInput!) { assignRole(input: $i) { user { id } errors { code field } } }",
        {"i": {"userId": their_user, "roleId": mine["createRole"]["role"]["id"]}}, token=tenant.token)
    assert result["assignRole"]["errors"] == [{"code": "NOT_FOUND", "field": ["userId"]}]
    # An ID of the wrong type is refused before anything is looked up.
    result = await api.data(
        "mutation($i: DeleteRoleInput!) { deleteRole(input: $i) { deletedId errors { code field } } }",
        {"i": {"roleId": my_user}}, token=tenant.token)
    assert result["deleteRole"]["errors"] == [{"code": "INVALID_ID", "field": ["roleId"]}]
    assert await RoleType.scope(other_tenant.id).filter(name="theirs").exists()


def test_scoped_refuses_global_models() -> None:
    with pytest.raises(TypeError):
        scoped(Tenant, 1)  # type: ignore[type-var]
