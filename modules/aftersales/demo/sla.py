"""Demo SLA settings: two policies, the tenant's default calendar and two escalation rules.

Written through the services (checked and audited like an admin's edits), acting as the tenant's
first member; loaded before the demo tickets so those get their clocks.
"""

from __future__ import annotations

from core.auth.principal import Principal
from core.models import Membership
from core.tenancy import scoped
from modules.aftersales.models import SlaPolicy
from modules.aftersales.services.sla import calendars as sla_calendars
from modules.aftersales.services.sla import escalation_rules
from modules.aftersales.services.sla import policies as sla_policies
from modules.team.models import Team


async def load(tenant_id: int) -> None:
    if await scoped(SlaPolicy, tenant_id).exists():
        return
    member = await Membership.filter(tenant_id=tenant_id, is_active=True).order_by("id").first()
    if member is None:
        return
    actor = Principal(member.user_id, tenant_id, via="script")
    await sla_policies.create_policy(actor, {
        "name": "Urgent and VIP", "position": 0, "priorities": ["urgent"], "first_response_minutes": 30,
        "next_response_minutes": 60, "resolution_minutes": 480})
    await sla_policies.create_policy(actor, {
        "name": "Standard", "position": 1, "first_response_minutes": 240, "next_response_minutes": 480,
        "resolution_minutes": 2880})
    await sla_calendars.set_calendar(actor, None, "DE", "", None)
    team = await scoped(Team, tenant_id).order_by("id").first()
    await escalation_rules.create_rule(actor, {
        "name": "Resolution due within the hour", "trigger": "due_soon", "within_minutes": 60,
        "clock": "resolution", "notify": True})
    await escalation_rules.create_rule(actor, {
        "name": "Breached: raise and hand over", "position": 1, "raise_priority": True, "notify": True,
        "reassign_team_id": team.id if team else None})
