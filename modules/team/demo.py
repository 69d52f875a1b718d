"""Demo data: two agents with languages, a support team working Shanghai hours."""

from __future__ import annotations

from core.access.admin import assign_role_by_name
from core.identity import add_user
from core.tenancy import scoped
from modules.team.models import AgentSkill, Team, TeamMember

HOURS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


async def load(tenant_id: int) -> None:
    if await scoped(Team, tenant_id).exists():
        return
    team = await Team.create(tenant_id=tenant_id, name="Support", timezone="Asia/Shanghai",
                             working_hours=HOURS)
    for email, name, langs in (("li.wei@demo.test", "Li Wei", ["zh", "en"]),
                               ("maria@demo.test", "María García", ["es", "en", "de"])):
        user = await add_user(tenant_id, email, name, None)
        await assign_role_by_name(tenant_id, user.id, "agent")
        await TeamMember.create(tenant_id=tenant_id, team_id=team.id, user_id=user.id)
        await AgentSkill.bulk_create([AgentSkill(tenant_id=tenant_id, user_id=user.id,
                                                 kind="language", value=lang) for lang in langs])
