"""Routing a new ticket to a team and an agent, and the settings it reads: routing rules, agents'
availability and capacity, and VIP customers' dedicated agents.

`route` is called by the ticket services inside their transaction when a ticket is created
without a team or assignee; it sets `team_id` and/or `assignee_id` on the ticket, the caller saves.

Who may take a ticket: an active member of the team, available (AgentProfile; no profile means
available without limit), while the team is on shift (its working hours in its time zone, minus
the public holidays of its SLA calendar; a team without working hours is always on shift), under
their open-ticket capacity, and, when some such agent speaks the ticket's language (or handles its
type as a category skill), one of those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import Membership
from core.tenancy import scoped
from modules.aftersales.models import AgentProfile, DedicatedAgent, RoundRobinCursor, RoutingRule, Ticket
from modules.aftersales.models.routing import STRATEGIES
from modules.aftersales.services.business_hours import calendar_for
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.routing import conditions as rules
from modules.aftersales.services.routing.conditions import UNSET, RuleTable
from modules.crm.models import Customer
from modules.team.models import AgentSkill, Team, TeamMember

DEFAULT_STRATEGY = "round_robin"
CLOSED_STATUSES = ("resolved", "closed")
MAX_CAPACITY = 1000
ROUTING_KEYS = tuple(k for k in rules.KEYS if k != "keywords")  # routing sees no message text
TABLE = RuleTable(RoutingRule, "routing_rule", ("name", "position", "conditions", "team_id", "strategy", "active"))


async def route(ticket: Ticket, now: datetime | None = None) -> None:
    """Choose the team (routing rules) and the agent (dedicated VIP agent, round-robin or least-loaded)."""
    now = now or datetime.now(UTC)
    if ticket.assignee_id is None and await _to_dedicated_agent(ticket):
        return
    active = await scoped(RoutingRule, ticket.tenant_id).filter(active=True).order_by("position", "id")
    if ticket.team_id is None:
        facts = await rules.facts(ticket)
        rule = next((r for r in active if rules.matches(r.conditions, facts)), None)
        if rule is None:
            return
        ticket.team_id, strategy = rule.team_id, rule.strategy
    else:
        strategy = next((r.strategy for r in active if r.team_id == ticket.team_id), DEFAULT_STRATEGY)
    if ticket.assignee_id is None:
        team = await scoped(Team, ticket.tenant_id).filter(id=ticket.team_id).first()
        if team is not None:
            ticket.assignee_id = await choose_agent(team, ticket, strategy, now)


async def _is_member(tenant_id: int, user_id: int) -> bool:
    return await Membership.filter(tenant_id=tenant_id, user_id=user_id, is_active=True).exists()


async def _to_dedicated_agent(ticket: Ticket) -> bool:
    """Give the ticket to the customer's dedicated agent (and their first team, when it has none)."""
    if ticket.customer_id is None:
        return False
    tid = ticket.tenant_id
    link = await scoped(DedicatedAgent, tid).filter(customer_id=ticket.customer_id).first()
    if link is None or not await _is_member(tid, link.user_id):
        return False
    ticket.assignee_id = link.user_id
    if ticket.team_id is None:
        teams = await scoped(TeamMember, tid).filter(user_id=link.user_id).order_by("id").limit(1) \
            .values_list("team_id", flat=True)
        ticket.team_id = int(str(teams[0])) if teams else None
    return True


async def on_shift(team: Team, now: datetime) -> bool:
    """Whether `now` is in the team's working hours (its time zone and public holidays, as SLAs count)."""
    calendar = await calendar_for(team.tenant_id, team.id)
    try:
        start, _ = next(calendar.spans_from(now))
    except ValueError:  # no working time for years: never on shift
        return False
    return start <= now


async def open_loads(tenant_id: int, user_ids: list[int]) -> dict[int, int]:
    """Open tickets per agent (status not resolved or closed), in one grouped query."""
    rows = await scoped(Ticket, tenant_id).filter(assignee_id__in=user_ids) \
        .exclude(status__in=CLOSED_STATUSES).annotate(n=Count("id")).group_by("assignee_id") \
        .values("assignee_id", "n")
    return {int(r["assignee_id"]): int(r["n"]) for r in rows}


async def _eligible(team: Team, ticket: Ticket) -> tuple[list[int], dict[int, int]]:
    """The team's agents who may take this ticket now, and everyone's open-ticket load."""
    tid = team.tenant_id
    members = [int(str(u)) for u in
               await scoped(TeamMember, tid).filter(team_id=team.id).values_list("user_id", flat=True)]
    active = [int(str(u)) for u in await Membership.filter(
        tenant_id=tid, user_id__in=members, is_active=True).values_list("user_id", flat=True)]
    profiles = {p.user_id: p for p in await scoped(AgentProfile, tid).filter(user_id__in=active)}
    people = [u for u in active if u not in profiles or profiles[u].available]
    if not people:
        return [], {}
    skills = await scoped(AgentSkill, tid).filter(user_id__in=people).values_list("user_id", "kind", "value")
    wanted = []
    if ticket.language:
        wanted.append(("language", rules.primary(ticket.language)))
    wanted.append(("category", ticket.type))
    for kind, value in wanted:
        skilled = {int(str(u)) for u, k, v in skills
                   if k == kind and (rules.primary(str(v)) if kind == "language" else v) == value}
        if skilled:
            people = [u for u in people if u in skilled]
    loads = await open_loads(tid, people)

    def has_room(user_id: int) -> bool:
        cap = profiles[user_id].max_open_tickets if user_id in profiles else None
        return cap is None or loads.get(user_id, 0) < cap
    return [u for u in people if has_room(u)], loads


async def choose_agent(team: Team, ticket: Ticket, strategy: str, now: datetime) -> int | None:
    """The agent for this ticket, or None (off shift, nobody available or everybody full)."""
    if not await on_shift(team, now):
        return None
    people, loads = await _eligible(team, ticket)
    if not people:
        return None
    if strategy == "least_loaded":
        return min(people, key=lambda u: (loads.get(u, 0), u))
    return await _next_in_rotation(team, sorted(people))


async def _next_in_rotation(team: Team, people: list[int]) -> int:
    """The first agent after the one the team's cursor names (wrapping), with the cursor row locked
    (SELECT ... FOR UPDATE on PostgreSQL) so concurrent API processes take turns, not the same agent."""
    await RoundRobinCursor.bulk_create([RoundRobinCursor(tenant_id=team.tenant_id, team_id=team.id)],
                                       ignore_conflicts=True)
    async with in_transaction():
        cursor = await scoped(RoundRobinCursor, team.tenant_id).select_for_update().get(team_id=team.id)
        last = cursor.last_user_id
        chosen = next((u for u in people if last is None or u > last), people[0])
        cursor.last_user_id = chosen
        await cursor.save(update_fields=["last_user_id"])
    return chosen


# Routing rules

@dataclass
class RoutingRuleInput:
    """Fields to set; UNSET leaves a field as it is (on update)."""

    name: Any = UNSET
    conditions: Any = UNSET  # ConditionsInput | None
    team_id: Any = UNSET
    strategy: Any = UNSET
    active: Any = UNSET


async def _checked(tenant_id: int, given: RoutingRuleInput) -> tuple[dict[str, Any], list[UserFacingError]]:
    values, errors = rules.common_values(given, ROUTING_KEYS)
    if given.team_id is not UNSET:
        if not await scoped(Team, tenant_id).filter(id=given.team_id).exists():
            errors.append(err("NOT_FOUND", N_("No such team."), ["teamId"]))
        values["team_id"] = given.team_id
    if given.strategy is not UNSET:
        if given.strategy not in STRATEGIES:
            errors.append(err("INVALID_STRATEGY", N_("Unknown strategy {value}: use round_robin or least_loaded."),
                              ["strategy"], value=given.strategy))
        values["strategy"] = given.strategy
    return values, errors


async def create_rule(actor: Principal, given: RoutingRuleInput) -> RoutingRule:
    return await TABLE.create(actor, *await _checked(actor.tenant_id, given))


async def update_rule(actor: Principal, rule_id: int, given: RoutingRuleInput) -> RoutingRule:
    return await TABLE.update(actor, rule_id, *await _checked(actor.tenant_id, given))


async def delete_rule(actor: Principal, rule_id: int) -> None:
    await TABLE.delete(actor, rule_id)


async def reorder_rules(actor: Principal, ids: list[int]) -> list[RoutingRule]:
    return await TABLE.reorder(actor, ids)


# Agents: availability, capacity, dedicated agents

async def set_availability(actor: Principal, user_id: int, available: bool | None, max_open_tickets: Any,
                           may_manage: bool) -> AgentProfile:
    """An agent switches themselves on or off shift; `may_manage` (aftersales.settings:write) is
    needed for someone else, and to change a capacity (`max_open_tickets`, None for no limit)."""
    tid = actor.tenant_id
    errors = []
    if user_id != actor.user_id and not may_manage:
        errors.append(err("FORBIDDEN", N_("Only a supervisor can change another agent."), ["userId"]))
    elif not await _is_member(tid, user_id):
        errors.append(err("NOT_FOUND", N_("No such user."), ["userId"]))
    if max_open_tickets is not UNSET:
        if not may_manage:
            errors.append(err("FORBIDDEN", N_("Only a supervisor can change a capacity."), ["maxOpenTickets"]))
        elif max_open_tickets is not None and not 0 <= max_open_tickets <= MAX_CAPACITY:
            errors.append(err("INVALID_CAPACITY", N_("A capacity is between 0 and {max} open tickets."),
                              ["maxOpenTickets"], max=MAX_CAPACITY))
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        await AgentProfile.bulk_create([AgentProfile(tenant_id=tid, user_id=user_id)], ignore_conflicts=True)
        profile = await scoped(AgentProfile, tid).select_for_update().get(user_id=user_id)
        before = {"available": profile.available, "max_open_tickets": profile.max_open_tickets}
        if available is not None:
            profile.available = available
        if max_open_tickets is not UNSET:
            profile.max_open_tickets = max_open_tickets
        await profile.save()
        await audit.record(actor, tid, "agent.availability", "AgentProfile", profile.id, before,
                           {"available": profile.available, "max_open_tickets": profile.max_open_tickets})
    return profile


async def profiles(tenant_id: int, user_ids: list[int]) -> dict[int, AgentProfile]:
    """Stored profiles by user; a user missing here has the defaults (available, no limit)."""
    return {p.user_id: p for p in await scoped(AgentProfile, tenant_id).filter(user_id__in=user_ids)}


async def set_dedicated_agent(actor: Principal, customer_id: int, user_id: int | None) -> Customer:
    """Give a customer their own agent (None: take it away); the agent must be an active member."""
    tid = actor.tenant_id
    errors = []
    customer = await scoped(Customer, tid).filter(id=customer_id).first()
    if customer is None:
        errors.append(err("NOT_FOUND", N_("No such customer."), ["customerId"]))
    if user_id is not None and not await _is_member(tid, user_id):
        errors.append(err("NOT_A_MEMBER", N_("This user is not a member of your team."), ["userId"]))
    if errors or customer is None:
        raise UserFacingErrors(errors)
    async with in_transaction():
        link = await scoped(DedicatedAgent, tid).select_for_update().filter(customer_id=customer_id).first()
        before = {"user_id": link.user_id} if link else None
        if user_id is None:
            if link is not None:
                await link.delete()
        elif link is None:
            await DedicatedAgent.create(tenant_id=tid, customer_id=customer_id, user_id=user_id)
        else:
            link.user_id = user_id
            await link.save(update_fields=["user_id"])
        await audit.record(actor, tid, "customer.dedicated_agent", "Customer", customer_id, before,
                           {"user_id": user_id} if user_id is not None else None)
    return customer


async def dedicated_agents(tenant_id: int, customer_ids: list[int]) -> dict[int, int]:
    """customer id -> user id of their dedicated agent."""
    rows = await scoped(DedicatedAgent, tenant_id).filter(customer_id__in=customer_ids) \
        .values_list("customer_id", "user_id")
    return {int(str(c)): int(str(u)) for c, u in rows}
