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
    assert len(small) == len(large) <= 6, large


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
