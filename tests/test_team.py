"""The team module over HTTP: users pages, teams, members, skills, audit."""

from __future__ import annotations

from typing import Any

from core.access.admin import assign_role_by_name
from core.identity import add_user
from tests.conftest import Api, TenantFixture
from tests.querycount import count_queries

USERS = """query($first: Int, $after: String, $filter: UserFilter, $order: UserOrder) {
  users(first: $first, after: $after, filter: $filter, orderBy: $order) {
    edges { cursor node { id email name roles { name permissions } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
CREATE_TEAM = """mutation($i: CreateTeamInput!) { createTeam(input: $i) {
  team { id name timezone workingHours members { email } } errors { code field } } }"""
ADD_MEMBER = """mutation($i: TeamMemberInput!) { addTeamMember(input: $i) {
  team { members { email } } errors { code field } } }"""
SKILLS = """mutation($i: SetAgentSkillsInput!) { setAgentSkills(input: $i) {
  languages categories errors { code field } } }"""


async def _people(t: TenantFixture, n: int) -> list[int]:
    ids = []
    for i in range(n):
        user = await add_user(t.id, f"person{i:03d}@{t.slug}.test", f"Person {i:03d}", None)
        await assign_role_by_name(t.id, user.id, "agent")
        ids.append(user.id)
    return ids


async def test_users_pages_by_keyset_without_gaps_or_repeats(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await _people(tenant, 23)
    rt.access.invalidate(tenant.id)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = (await api.data(USERS, {"first": 5, "after": after}, token=tenant.token))["users"]
        seen += [e["node"]["email"] for e in data["edges"]]
        pages += 1
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert pages == 5 and len(seen) == 24 and seen == sorted(seen) and len(set(seen)) == 24
    desc = (await api.data(USERS, {"first": 3, "order": {"field": "NAME", "direction": "DESC"}},
                           token=tenant.token))["users"]
    assert [e["node"]["name"] for e in desc["edges"]] == ["Person 022", "Person 021", "Person 020"]
    nxt = (await api.data(USERS, {"first": 2, "after": desc["pageInfo"]["endCursor"],
                                  "order": {"field": "NAME", "direction": "DESC"}}, token=tenant.token))
    assert [e["node"]["name"] for e in nxt["users"]["edges"]] == ["Person 019", "Person 018"]
    found = (await api.data(USERS, {"filter": {"search": "person00"}}, token=tenant.token))["users"]
    assert len(found["edges"]) == 10


async def test_users_filter_by_role(api: Api, tenant: TenantFixture) -> None:
    await _people(tenant, 2)
    roles = await api.data("{ roles(first: 50) { edges { node { id name } } } }", token=tenant.token)
    admin_id = next(e["node"]["id"] for e in roles["roles"]["edges"] if e["node"]["name"] == "admin")
    data = (await api.data(USERS, {"filter": {"roleId": admin_id}}, token=tenant.token))["users"]
    assert [e["node"]["email"] for e in data["edges"]] == [tenant.admin_email]


async def test_a_users_page_costs_the_same_queries_whatever_its_size(api: Api, rt: Any,
                                                                     tenant: TenantFixture) -> None:
    await _people(tenant, 40)
    rt.access.invalidate(tenant.id)
    await api.data(USERS, {"first": 1}, token=tenant.token)  # warm the permission cache
    with count_queries() as small:
        page = await api.data(USERS, {"first": 2}, token=tenant.token)
    assert len(page["users"]["edges"]) == 2
    with count_queries() as large:
        page = await api.data(USERS, {"first": 40}, token=tenant.token)
    assert len(page["users"]["edges"]) == 40
    assert 3 <= len(small) == len(large) <= 6, large


async def test_teams_members_and_skills(api: Api, tenant: TenantFixture) -> None:
    hours = {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": [["10:00", "14:00"]]}
    created = (await api.data(CREATE_TEAM, {"i": {"name": "EU desk", "timezone": "Europe/Madrid",
                                                  "workingHours": hours}}, token=tenant.token))["createTeam"]
    assert created["errors"] == [] and created["team"]["workingHours"] == hours
    team_id = created["team"]["id"]
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType

    me = to_global_id(UserType, tenant.admin_id)
    added = (await api.data(ADD_MEMBER, {"i": {"teamId": team_id, "userId": me}}, token=tenant.token))
    assert added["addTeamMember"]["team"]["members"] == [{"email": tenant.admin_email}]
    skills = (await api.data(SKILLS, {"i": {"userId": me, "languages": ["de", "zh-Hans", "de"],
                                            "categories": ["returns"]}}, token=tenant.token))
    assert skills["setAgentSkills"] == {"languages": ["de", "zh-Hans"], "categories": ["returns"],
                                        "errors": []}
    audit = await api.data('{ auditLog(first: 3) { edges { node { action actor { email } } } } }',
                           token=tenant.token)
    assert [e["node"]["action"] for e in audit["auditLog"]["edges"]] == \
        ["user.skills", "team.add_member", "team.create"]
    assert audit["auditLog"]["edges"][0]["node"]["actor"]["email"] == tenant.admin_email


async def test_team_bad_input_is_refused_and_writes_nothing(api: Api, tenant: TenantFixture) -> None:
    from modules.team.models import Team

    bad = await api.data(CREATE_TEAM, {"i": {"name": " ", "timezone": "Mars/Olympus",
                                             "workingHours": {"funday": [], "mon": [["18:00", "09:00"]]}}},
                         token=tenant.token)
    codes = {(e["code"], tuple(e["field"])) for e in bad["createTeam"]["errors"]}
    assert codes == {("INVALID_NAME", ("name",)), ("INVALID_TIMEZONE", ("timezone",)),
                     ("INVALID_DAY", ("workingHours", "funday")),
                     ("INVALID_HOURS", ("workingHours", "mon", "0"))}
    assert not await Team.filter(tenant_id=tenant.id).exists()
    ok = await api.data(CREATE_TEAM, {"i": {"name": "Dup"}}, token=tenant.token)
    assert ok["createTeam"]["errors"] == []
    dup = await api.data(CREATE_TEAM, {"i": {"name": "Dup"}}, token=tenant.token)
    assert dup["createTeam"]["errors"] == [{"code": "TEAM_NAME_TAKEN", "field": ["name"]}]
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType

    skills = await api.data(SKILLS, {"i": {"userId": to_global_id(UserType, tenant.admin_id),
                                           "languages": ["xx-invalid-!!"]}}, token=tenant.token)
    assert skills["setAgentSkills"]["errors"] == [{"code": "INVALID_LANGUAGE", "field": ["languages", "0"]}]


async def test_deactivating_a_member_cuts_their_access_at_once(api: Api, rt: Any, tenant: TenantFixture) -> None:
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType
    from tests.conftest import PASSWORD

    user = await add_user(tenant.id, f"leaver@{tenant.slug}.test", "Leaver", PASSWORD)
    await assign_role_by_name(tenant.id, user.id, "agent")
    token = await api.login(f"leaver@{tenant.slug}.test", tenant.slug)
    gid = to_global_id(UserType, user.id)
    setq = ("mutation($i: SetUserActiveInput!) { setUserActive(input: $i) "
            "{ user { email isActive } errors { code field } } }")
    off = await api.data(setq, {"i": {"userId": gid, "active": False}}, token=tenant.token)
    assert off["setUserActive"] == {"user": {"email": f"leaver@{tenant.slug}.test", "isActive": False},
                                    "errors": []}
    denied = await api.post("{ viewer { user { email } } }", token=token)
    assert denied["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    relogin = await api.post("mutation { login(input: {email: \"leaver@" + tenant.slug + ".test\", "
                             "password: \"" + PASSWORD + "\", tenant: \"" + tenant.slug + "\"}) "
                             "{ accessToken errors { code } } }")
    assert relogin["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    inactive = await api.data('{ users(filter: {isActive: false}) { edges { node { email } } } }',
                              token=tenant.token)
    assert [e["node"]["email"] for e in inactive["users"]["edges"]] == [f"leaver@{tenant.slug}.test"]
    self_off = await api.data(setq, {"i": {"userId": to_global_id(UserType, tenant.admin_id), "active": False}},
                              token=tenant.token)
    assert self_off["setUserActive"]["errors"] == [{"code": "CANNOT_DEACTIVATE_SELF", "field": ["userId"]}]
    on = await api.data(setq, {"i": {"userId": gid, "active": True}}, token=tenant.token)
    assert on["setUserActive"]["user"]["isActive"] is True
    assert (await api.login(f"leaver@{tenant.slug}.test", tenant.slug))


async def test_update_and_delete_a_team(api: Api, tenant: TenantFixture) -> None:
    from modules.team.models import Team

    team = (await api.data(CREATE_TEAM, {"i": {"name": "APAC"}}, token=tenant.token))["createTeam"]["team"]
    upd = ("mutation($i: UpdateTeamInput!) { updateTeam(input: $i) "
           "{ team { name timezone workingHours } errors { code field } } }")
    changed = await api.data(upd, {"i": {"teamId": team["id"], "timezone": "Asia/Tokyo",
                                         "workingHours": {"mon": [["08:00", "17:00"]]}}}, token=tenant.token)
    assert changed["updateTeam"] == {"team": {"name": "APAC", "timezone": "Asia/Tokyo",
                                              "workingHours": {"mon": [["08:00", "17:00"]]}}, "errors": []}
    bad = await api.data(upd, {"i": {"teamId": team["id"], "timezone": "Nowhere/City"}}, token=tenant.token)
    assert bad["updateTeam"]["errors"] == [{"code": "INVALID_TIMEZONE", "field": ["timezone"]}]
    assert (await Team.get(name="APAC", tenant_id=tenant.id)).timezone == "Asia/Tokyo"
    gone = await api.data("mutation($i: DeleteTeamInput!) { deleteTeam(input: $i) { deletedId errors { code } } }",
                          {"i": {"teamId": team["id"]}}, token=tenant.token)
    assert gone["deleteTeam"] == {"deletedId": team["id"], "errors": []}
    assert not await Team.filter(name="APAC", tenant_id=tenant.id).exists()
    audit = await api.data('{ auditLog(first: 3, filter: {objectType: "Team"}) { edges { node { action before } } } }',
                           token=tenant.token)
    assert [e["node"]["action"] for e in audit["auditLog"]["edges"]] == ["team.delete", "team.update", "team.create"]
    assert audit["auditLog"]["edges"][0]["node"]["before"]["timezone"] == "Asia/Tokyo"


async def test_users_show_their_skills(api: Api, tenant: TenantFixture) -> None:
    from core.graphql.node import to_global_id
    from modules.team.graphql.types import UserType

    await api.data(SKILLS, {"i": {"userId": to_global_id(UserType, tenant.admin_id), "languages": ["ja", "en"],
                                  "categories": ["refunds"]}}, token=tenant.token)
    data = await api.data("{ viewer { user { languages categories isActive } } }", token=tenant.token)
    assert data["viewer"]["user"] == {"languages": ["ja", "en"], "categories": ["refunds"], "isActive": True}


async def test_update_tenant(api: Api, rt: Any, tenant: TenantFixture) -> None:
    from tests.conftest import make_tenant

    q = ("mutation($i: UpdateTenantInput!) { updateTenant(input: $i) "
         "{ tenant { slug name defaultLocale timezone } errors { code field } } }")
    ok = await api.data(q, {"i": {"name": "Acme GmbH", "defaultLocale": "de-DE", "timezone": "Europe/Berlin"}},
                        token=tenant.token)
    assert ok["updateTenant"] == {"tenant": {"slug": tenant.slug, "name": "Acme GmbH", "defaultLocale": "de-DE",
                                             "timezone": "Europe/Berlin"}, "errors": []}
    bad = await api.data(q, {"i": {"name": "", "defaultLocale": "zz-!!", "timezone": "Moon/Base"}},
                         token=tenant.token)
    assert {e["code"] for e in bad["updateTenant"]["errors"]} == {"INVALID_NAME", "INVALID_LANGUAGE", "INVALID_TIMEZONE"}
    viewer = await api.data("{ viewer { tenant { name timezone } } }", token=tenant.token)
    assert viewer["viewer"]["tenant"] == {"name": "Acme GmbH", "timezone": "Europe/Berlin"}
    agent = await make_tenant(api, rt, role="agent")
    denied = await api.post(q, {"i": {"name": "Mine now"}}, token=agent.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
