"""The done-when scenario: an admin creates a role, grants a permission, assigns it to a new
user, and that user can do exactly what the role allows."""

from __future__ import annotations

from tests.conftest import Api, TenantFixture, accept, invite

CREATE_ROLE = """mutation($i: CreateRoleInput!) { createRole(input: $i) {
  role { id name isDefault permissions } errors { code field message } } }"""
GRANT = """mutation($i: GrantInput!) { grantPermission(input: $i) {
  role { id permissions } errors { code field message } } }"""
ASSIGN = """mutation($i: AssignRoleInput!) { assignRole(input: $i) {
  user { id roles { name } } errors { code field message } } }"""
USERS = "{ users(first: 10) { edges { node { email } } pageInfo { hasNextPage } } }"
TEAMS = "{ teams(first: 10) { edges { node { name } } } }"


async def test_role_grants_exactly_what_it_allows(api: Api, tenant: TenantFixture) -> None:
    role = (await api.data(CREATE_ROLE, {"i": {"name": "viewer-of-people"}},
                           token=tenant.token))["createRole"]
    assert role["errors"] == [] and role["role"]["isDefault"] is False
    granted = (await api.data(GRANT, {"i": {"roleId": role["role"]["id"],
                                             "permission": "team.user:read"}},
                              token=tenant.token))["grantPermission"]
    assert granted["role"]["permissions"] == ["team.user:read"]
    email = f"new@{tenant.slug}.test"
    invited = await invite(api, tenant, email, "New")
    assert invited["errors"] == [] and (await accept(api, invited["token"]))["errors"] == []
    user_id = (await api.data('query($f: UserFilter) { users(first: 1, filter: $f) { edges { node { id } } } }',
                              {"f": {"search": email}}, token=tenant.token))["users"]["edges"][0]["node"]["id"]
    assigned = (await api.data(ASSIGN, {"i": {"userId": user_id,
                                              "roleId": role["role"]["id"]}},
                               token=tenant.token))["assignRole"]
    assert [r["name"] for r in assigned["user"]["roles"]] == ["viewer-of-people"]

    token = await api.login(email, tenant.slug)
    users = await api.data(USERS, token=token)
    assert {e["node"]["email"] for e in users["users"]["edges"]} == {tenant.admin_email, email}
    denied = await api.post(TEAMS, token=token)
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    viewer = await api.data("{ viewer { user { email } permissions } }", token=token)
    assert viewer["viewer"]["permissions"] == ["team.user:read"]
