"""Identity across tenants: a person joins a tenant only by accepting an invitation, and no tenant
can set, learn or use another tenant's view of a person. Over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from core.graphql.node import to_global_id
from core.models import Invitation, Membership, User
from modules.team.graphql.types import RoleType, UserType
from tests.conftest import PASSWORD, Api, TenantFixture, accept, invite, make_tenant

LOGIN = """mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code field } } }"""
USERS = "{ users(first: 50) { edges { node { email name lastLoginAt isActive } } } }"
PREVIEW = "query($t: String!) { invitationPreview(token: $t) { tenantName email name hasAccount } }"
CUSTOMERS = "{ customers(first: 5) { edges { node { id } } } }"


async def _login(api: Api, email: str, password: str, tenant: str | None) -> dict[str, Any]:
    return (await api.data(LOGIN, {"i": {"email": email, "password": password, "tenant": tenant}}))["login"]


def _email() -> str:
    return f"person-{uuid.uuid4().hex[:8]}@example.test"


async def _users(api: Api, t: TenantFixture) -> dict[str, dict[str, Any]]:
    edges = (await api.data(USERS, token=t.token))["users"]["edges"]
    return {e["node"]["email"]: e["node"] for e in edges}


async def test_a_tenant_that_registers_an_email_first_cannot_take_over_another_tenant(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    """The takeover of issue 9: B creates the account for an e-mail A invites later, with a
    password B chose. A's invitation cannot be accepted with a new password, B's password does
    not open A, and A's data stays A's."""
    victim = _email()
    squat = await invite(api, other_tenant, victim, "Squatter's view")
    assert (await accept(api, squat["token"], password="b-chose-this"))["errors"] == []

    real = await invite(api, tenant, victim, "Real person")
    assert real["errors"] == [] and real["invitation"]["status"] == "PENDING"
    assert real["acceptUrl"].endswith(real["token"])
    # The link's holder must prove the existing account: choosing a new password is refused.
    refused = await accept(api, real["token"], password="a brand new password")
    assert refused["errors"] == [{"code": "INVALID_CREDENTIALS", "field": None}]
    assert not await Membership.filter(tenant_id=tenant.id, user__email=victim).exists()
    assert (await _login(api, victim, "b-chose-this", tenant.slug))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert victim not in await _users(api, tenant)
    # The refused attempt did not use the invitation up.
    preview = (await api.data(PREVIEW, {"t": real["token"]}))["invitationPreview"]
    assert preview == {"tenantName": f"Tenant {tenant.slug}", "email": victim, "name": "Real person",
                       "hasAccount": True}


async def test_inviting_an_existing_person_changes_and_reveals_nothing_until_they_accept(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    invited = await invite(api, other_tenant, tenant.admin_email, "Whoever")
    assert invited["errors"] == []
    # Nothing of the person is visible to the tenant they have not joined...
    assert tenant.admin_email not in await _users(api, other_tenant)
    node = await api.post("query($id: ID!) { node(id: $id) { id } }",
                          {"id": to_global_id(UserType, tenant.admin_id)}, token=other_tenant.token)
    assert node["data"]["node"] is None
    # ...and their login without a tenant still works (no second membership yet).
    assert (await _login(api, tenant.admin_email, PASSWORD, None))["errors"] == []
    # Accepting with their own password joins; then both tenants know them, each by its own name.
    joined = await accept(api, invited["token"])
    assert joined["errors"] == [] and joined["accessToken"]
    mine, theirs = (await _users(api, tenant))[tenant.admin_email], (await _users(api, other_tenant))[tenant.admin_email]
    assert mine["name"] == "Admin" and theirs["name"] == "Whoever"
    # Last login is per membership: logging in to one tenant is not shown in the other.
    before = theirs["lastLoginAt"]
    await _login(api, tenant.admin_email, PASSWORD, tenant.slug)
    assert (await _users(api, other_tenant))[tenant.admin_email]["lastLoginAt"] == before
    assert (await _users(api, tenant))[tenant.admin_email]["lastLoginAt"] is not None
    assert "lastLoginAt" not in str(await User.filter(email=tenant.admin_email).values())


async def test_a_new_person_sets_their_password_once_and_gets_the_invited_roles(
        api: Api, rt: Any, tenant: TenantFixture) -> None:
    email = _email()
    agent = await RoleType.scope(tenant.id).get(name="agent")
    made = await invite(api, tenant, email, "New Agent", [to_global_id(RoleType, agent.id)])
    preview = (await api.data(PREVIEW, {"t": made["token"]}))["invitationPreview"]
    assert preview["hasAccount"] is False
    short = await accept(api, made["token"], password="short")
    assert short["errors"] == [{"code": "PASSWORD_TOO_SHORT", "field": ["password"]}]
    assert not await User.filter(email=email).exists()
    joined = await accept(api, made["token"], password="a good long password", name="Agent Smith")
    assert joined["errors"] == []
    viewer = await api.data("{ viewer { user { email name } permissions } }", token=joined["accessToken"])
    assert viewer["viewer"]["user"] == {"email": email, "name": "Agent Smith"}
    assert "team.user:read" in viewer["viewer"]["permissions"]
    assert "team.role:write" not in viewer["viewer"]["permissions"]
    # Single use: the same link again, or with the right password, is refused.
    again = await accept(api, made["token"], password="a good long password")
    assert again["errors"] == [{"code": "INVALID_INVITATION", "field": ["token"]}]
    assert (await api.data(PREVIEW, {"t": made["token"]}))["invitationPreview"] is None
    listed = await api.data("{ invitations(first: 5) { edges { node { email status roles { name } "
                            "invitedBy { email } } } } }", token=tenant.token)
    assert listed["invitations"]["edges"][0]["node"] == {
        "email": email, "status": "ACCEPTED", "roles": [{"name": "agent"}],
        "invitedBy": {"email": tenant.admin_email}}


async def test_expired_revoked_replaced_and_forged_links_are_refused(api: Api, tenant: TenantFixture) -> None:
    email = _email()
    first = await invite(api, tenant, email)
    second = await invite(api, tenant, email)  # a resend: only the newest link works
    assert (await accept(api, first["token"]))["errors"][0]["code"] == "INVALID_INVITATION"
    await Invitation.filter(tenant_id=tenant.id, email=email, revoked_at=None).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await accept(api, second["token"]))["errors"][0]["code"] == "INVALID_INVITATION"
    third = await invite(api, tenant, email)
    revoked = await api.data("mutation($i: RevokeInvitationInput!) { revokeInvitation(input: $i) "
                             "{ invitation { status } errors { code } } }",
                             {"i": {"invitationId": third["invitation"]["id"]}}, token=tenant.token)
    assert revoked["revokeInvitation"] == {"invitation": {"status": "REVOKED"}, "errors": []}
    assert (await accept(api, third["token"]))["errors"][0]["code"] == "INVALID_INVITATION"
    assert (await accept(api, "sci_forged"))["errors"][0]["code"] == "INVALID_INVITATION"
    assert not await User.filter(email=email).exists()
    pending = await api.data("{ invitations(first: 5, pending: true) { edges { node { email } } } }",
                             token=tenant.token)
    assert pending["invitations"]["edges"] == []


async def test_invitation_input_errors(api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    bad = await invite(api, tenant, "not-an-email", "x" * 201)
    assert bad["errors"] == [{"code": "INVALID_EMAIL", "field": ["email"]},
                             {"code": "TOO_LONG", "field": ["name"]}]
    member = await invite(api, tenant, tenant.admin_email)
    assert member["errors"] == [{"code": "ALREADY_MEMBER", "field": ["email"]}]
    # A role that is another tenant's own is not found, not borrowed.
    made = await api.data('mutation { createRole(input: {name: "theirs"}) { role { id } } }', token=other_tenant.token)
    stolen = await invite(api, tenant, _email(), "", [made["createRole"]["role"]["id"]])
    assert stolen["errors"] == [{"code": "NOT_FOUND", "field": ["roleIds", "0"]}]
    assert await Invitation.filter(tenant_id=tenant.id).count() == 0


async def test_inviting_with_a_role_beyond_your_own_is_refused(api: Api, rt: Any) -> None:
    """A user who may invite (team.user:write) cannot hand out the admin role it lacks."""
    t = await make_tenant(api, rt)
    made = await api.data('mutation { createRole(input: {name: "recruiter"}) { role { id } } }', token=t.token)
    role_id = made["createRole"]["role"]["id"]
    for perm in ("team.user:write", "team.user:read"):
        granted = await api.data('mutation($i: GrantInput!) { grantPermission(input: $i) { errors { code } } }',
                                 {"i": {"roleId": role_id, "permission": perm}}, token=t.token)
        assert granted["grantPermission"]["errors"] == []
    recruiter = await invite(api, t, _email(), "", [role_id])
    token = (await accept(api, recruiter["token"]))["accessToken"]
    admin = await RoleType.scope(t.id).get(name="admin")
    payload = (await api.data(
        "mutation($i: InviteUserInput!) { inviteUser(input: $i) { token errors { code field } } }",
        {"i": {"email": _email(), "roleIds": [to_global_id(RoleType, admin.id)]}}, token=token))["inviteUser"]
    assert payload == {"token": None, "errors": [{"code": "ROLE_EXCEEDS_YOUR_PERMISSIONS", "field": ["roleIds", "0"]}]}
    ok = (await api.data(
        "mutation($i: InviteUserInput!) { inviteUser(input: $i) { errors { code } } }",
        {"i": {"email": _email(), "roleIds": [role_id]}}, token=token))["inviteUser"]
    assert ok["errors"] == []


async def test_an_invitations_page_costs_the_same_queries_whatever_its_size(api: Api, rt: Any) -> None:
    from tests.querycount import count_queries

    t = await make_tenant(api, rt)
    agent = to_global_id(RoleType, (await RoleType.scope(t.id).get(name="agent")).id)
    for _ in range(8):
        assert (await invite(api, t, _email(), "", [agent]))["errors"] == []
    page = "query($n: Int) { invitations(first: $n) { edges { node { email roles { name } invitedBy { email } } } } }"
    await api.data(page, {"n": 1}, token=t.token)  # warm the permission cache
    with count_queries() as small:
        assert len((await api.data(page, {"n": 2}, token=t.token))["invitations"]["edges"]) == 2
    with count_queries() as large:
        assert len((await api.data(page, {"n": 8}, token=t.token))["invitations"]["edges"]) == 8
    assert len(small) == len(large), large
