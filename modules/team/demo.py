"""Demo data: two agents with languages, a support team working Shanghai hours, a pending
invitation and an API key (whose secret nobody knows: it only shows in the listing)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from core.access.admin import assign_role_by_name
from core.auth.api_keys import create_api_key
from core.auth.tokens import sha256
from core.identity import add_user
from core.models import Invitation, Tenant
from core.tenancy import scoped
from modules.team.models import AgentSkill, Team, TeamMember

HOURS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


async def load(tenant_id: int) -> None:
    if await scoped(Team, tenant_id).exists():
        return
    slug = (await Tenant.get(id=tenant_id)).slug
    team = await Team.create(tenant_id=tenant_id, name="Support", timezone="Asia/Shanghai",
                             working_hours=HOURS)
    # Addresses under the tenant's own slug: accounts are global, so each tenant's demo people
    # are its own (the demo tenant's are li.wei@demo.test and maria@demo.test).
    agent_ids = []
    for local, name, langs in (("li.wei", "Li Wei", ["zh", "en"]),
                               ("maria", "María García", ["es", "en", "de"])):
        user = await add_user(tenant_id, f"{local}@{slug}.test", name, None)
        agent_ids.append(user.id)
        await assign_role_by_name(tenant_id, user.id, "agent")
        await TeamMember.create(tenant_id=tenant_id, team_id=team.id, user_id=user.id)
        await AgentSkill.bulk_create([AgentSkill(tenant_id=tenant_id, user_id=user.id,
                                                 kind="language", value=lang) for lang in langs])
    await Invitation.create(tenant_id=tenant_id, email=f"new.agent@{slug}.test", name="New Agent",
                            token_hash=sha256(secrets.token_urlsafe(32)),
                            expires_at=datetime.now(UTC) + timedelta(days=7))
    await create_api_key(tenant_id, agent_ids[0], "demo sync script")
