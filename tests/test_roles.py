"""Role administration: bad input is refused with a clear error and changes nothing."""

from __future__ import annotations

from typing import Any

from core.models import AuditEntry, PolicyRule, Role
from tests.conftest import Api, TenantFixture

CREATE = 'mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id name } errors { code field } } }'
UPDATE = 'mutation($i: UpdateRoleInput!) { updateRole(input: $i) { role { name description permissions } errors { code field } } }'
DELETE = 'mutation($i: DeleteRoleInput!) { deleteRole(input: $i) { deletedId errors { code field message } } }'
GRANT = 'mutation($i: GrantInput!) { grantPermission(input: $i) { role { permissions } errors { code field } } }'
REVOKE = 'mutation($i: GrantInput!) { revokePermission(input: $i) { role { permissions } errors { code field } } }'
ASSIGN = 'mutation($i: AssignRoleInput!) { assignRole(input: $i) { errors { code } } }'
UNASSIGN = 'mutation($i: AssignRoleInput!) { unassignRole(input: $i) { user { roles { name } } errors { code } } }'


async def _role(api: Api, t: TenantFixture, name: str) -> str:
    data = await api.data(CREATE, {"i": {"name": name}}, token=t.token)
    assert data["createRole"]["errors"] == []
    return data["createRole"]["role"]["id"]


async def test_role_names_are_validated_and_unique(api: Api, tenant: TenantFixture) -> None:
    await _role(api, tenant, "packer")
    before = await Role.filter(tenant_id=tenant.id).count()
    for name, code in [("packer", "ROLE_NAME_TAKEN"), ("Packer ", "ROLE_NAME_TAKEN"),
                       ("admin", "ROLE_NAME_TAKEN"), ("x", "INVALID_ROLE_NAME"),
                       ("no spaces", "INVALID_ROLE_NAME"), ("9lives", "INVALID_ROLE_NAME")]:
        data = await api.data(CREATE, {"i": {"name": name}}, token=tenant.token)
        assert data["createRole"] == {"role": None, "errors": [{"code": code, "field": ["name"]}]}, name
    assert await Role.filter(tenant_id=tenant.id).count() == before


async def test_grant_revoke_and_unknown_permissions(api: Api, tenant: TenantFixture) -> None:
    role = await _role(api, tenant, "auditor")
    bad = await api.data(GRANT, {"i": {"roleId": role, "permission": "team.nothing:read"}}, token=tenant.token)
    assert bad["grantPermission"]["errors"] == [{"code": "UNKNOWN_PERMISSION", "field": ["permission"]}]
    ok = await api.data(GRANT, {"i": {"roleId": role, "permission": "team.audit:read"}}, token=tenant.token)
    assert ok["grantPermission"]["role"]["permissions"] == ["team.audit:read"]
    again = await api.data(GRANT, {"i": {"roleId": role, "permission": "team.audit:read"}}, token=tenant.token)
    assert again["grantPermission"]["role"]["permissions"] == ["team.audit:read"]
    assert await PolicyRule.filter(domain=str(tenant.id), ptype="p").count() == 1
    gone = await api.data(REVOKE, {"i": {"roleId": role, "permission": "team.audit:read"}}, token=tenant.token)
    assert gone["revokePermission"]["role"]["permissions"] == []
    entries = await AuditEntry.filter(tenant_id=tenant.id, action__in=["role.grant", "role.revoke"]) \
        .order_by("id")
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("role.grant", {"grants": []}, {"grants": ["team.audit:read"]}),
        ("role.revoke", {"grants": ["team.audit:read"]}, {"grants": []}),
    ]
    assert all(e.actor_id == tenant.admin_id and e.via == "api" for e in entries)


async def test_default_roles_are_read_only(api: Api, tenant: TenantFixture) -> None:
    roles = await api.data("{ roles(first: 50) { edges { node { id name isDefault } } } }", token=tenant.token)
    admin = next(e["node"] for e in roles["roles"]["edges"] if e["node"]["name"] == "admin")
    assert admin["isDefault"] is True
    for query, key in [(GRANT, "grantPermission"), (DELETE, "deleteRole")]:
        variables: dict[str, Any] = {"roleId": admin["id"]}
        if key == "grantPermission":
            variables["permission"] = "team.audit:read"
        data = await api.data(query, {"i": variables}, token=tenant.token)
        assert data[key]["errors"][0]["code"] == "DEFAULT_ROLE_READ_ONLY"


async def test_deleting_a_role_in_use_is_refused(api: Api, tenant: TenantFixture) -> None:
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType

    role = await _role(api, tenant, "shipper")
    user = to_global_id(UserType, tenant.admin_id)
    assert (await api.data(ASSIGN, {"i": {"userId": user, "roleId": role}}, token=tenant.token)) \
        ["assignRole"]["errors"] == []
    refused = await api.data(DELETE, {"i": {"roleId": role}}, token=tenant.token)
    assert refused["deleteRole"]["errors"][0]["code"] == "ROLE_IN_USE"
    assert await Role.filter(tenant_id=tenant.id, name="shipper").exists()
    left = await api.data(UNASSIGN, {"i": {"userId": user, "roleId": role}}, token=tenant.token)
    assert [r["name"] for r in left["unassignRole"]["user"]["roles"]] == ["admin"]
    deleted = await api.data(DELETE, {"i": {"roleId": role}}, token=tenant.token)
    assert deleted["deleteRole"] == {"deletedId": role, "errors": []}
    assert not await Role.filter(tenant_id=tenant.id, name="shipper").exists()


async def test_renaming_a_role_keeps_its_grants_and_holders(api: Api, tenant: TenantFixture) -> None:
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType

    role = await _role(api, tenant, "picker")
    await api.data(GRANT, {"i": {"roleId": role, "permission": "team.team:read"}}, token=tenant.token)
    await api.data(ASSIGN, {"i": {"userId": to_global_id(UserType, tenant.admin_id), "roleId": role}},
                   token=tenant.token)
    renamed = await api.data(UPDATE, {"i": {"roleId": role, "name": "picker-eu", "description": "EU"}},
                             token=tenant.token)
    assert renamed["updateRole"] == {"role": {"name": "picker-eu", "description": "EU",
                                              "permissions": ["team.team:read"]}, "errors": []}
    viewer = await api.data("{ viewer { user { roles { name } } } }", token=tenant.token)
    assert {r["name"] for r in viewer["viewer"]["user"]["roles"]} == {"admin", "picker-eu"}
    clash = await api.data(UPDATE, {"i": {"roleId": role, "name": "admin"}}, token=tenant.token)
    assert clash["updateRole"]["errors"] == [{"code": "ROLE_NAME_TAKEN", "field": ["name"]}]


async def test_role_mutations_need_the_permission(api: Api, rt: Any) -> None:
    from tests.conftest import make_tenant

    agent = await make_tenant(api, rt, role="agent")
    denied = await api.post(CREATE, {"i": {"name": "sneaky"}}, token=agent.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "team.role:write" in denied["errors"][0]["message"]
    assert not await Role.filter(tenant_id=agent.id, name="sneaky").exists()


async def test_a_role_editor_cannot_climb(api: Api, rt: Any) -> None:
    """Holding only team.role:write (and read), a user can neither grant its own role more nor
    take the admin role; it may hand out only what it holds."""
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import RoleType, UserType
    from tests.conftest import accept, invite, make_tenant

    t = await make_tenant(api, rt)
    editor_role = await _role(api, t, "role-editor")
    for perm in ("team.role:write", "team.role:read"):
        assert (await api.data(GRANT, {"i": {"roleId": editor_role, "permission": perm}},
                               token=t.token))["grantPermission"]["errors"] == []
    invited = await invite(api, t, f"editor@{t.slug}.test", "Editor", [editor_role])
    token = (await accept(api, invited["token"]))["accessToken"]
    me = (await api.data("{ viewer { user { id } } }", token=token))["viewer"]["user"]["id"]

    more = await api.data(GRANT, {"i": {"roleId": editor_role, "permission": "crm.customer:read"}}, token=token)
    assert more["grantPermission"] == {"role": None, "errors": [{"code": "PERMISSION_NOT_HELD",
                                                                   "field": ["permission"]}]}
    admin = to_global_id(RoleType, (await RoleType.scope(t.id).get(name="admin")).id)
    climb = await api.data(ASSIGN, {"i": {"userId": me, "roleId": admin}}, token=token)
    assert climb["assignRole"]["errors"] == [{"code": "ROLE_EXCEEDS_YOUR_PERMISSIONS"}]
    # Nor can it strip the admin of a role it could not give.
    owner = to_global_id(UserType, t.admin_id)
    strip = await api.data(UNASSIGN, {"i": {"userId": owner, "roleId": admin}}, token=token)
    assert strip["unassignRole"]["errors"] == [{"code": "ROLE_EXCEEDS_YOUR_PERMISSIONS"}]
    viewer = await api.data("{ viewer { permissions } }", token=token)
    assert sorted(viewer["viewer"]["permissions"]) == ["team.role:read", "team.role:write"]
    assert await PolicyRule.filter(ptype="p", v0="role:role-editor", v1="crm.customer").count() == 0
    # What it holds, it may hand on.
    helper = await _role(api, t, "helper")
    assert (await api.data(GRANT, {"i": {"roleId": helper, "permission": "team.role:read"}},
                           token=token))["grantPermission"]["errors"] == []
    assert (await api.data(ASSIGN, {"i": {"userId": me, "roleId": helper}}, token=token))["assignRole"]["errors"] == []
