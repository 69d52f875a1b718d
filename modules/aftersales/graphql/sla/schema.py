"""The aftersales GraphQL part for SLAs: policies, calendars and escalation rules (queries and
mutations), and the escalations a ticket went through (fields added to Ticket)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.graphql.permissions import Requires
from core.registry import GraphQLContribution
from modules.aftersales.graphql.sla.mutations.calendars import SlaCalendarMutations
from modules.aftersales.graphql.sla.mutations.escalation_rules import EscalationRuleMutations
from modules.aftersales.graphql.sla.mutations.policies import SlaPolicyMutations
from modules.aftersales.graphql.sla.types import (
    EscalationRuleType,
    SlaCalendarType,
    SlaPolicyType,
    TicketEscalationType,
    TicketSlaFields,
)
from modules.aftersales.services.sla import calendars as sla_calendars
from modules.aftersales.services.sla import escalation_rules
from modules.aftersales.services.sla import policies as sla_policies

READ = [Requires("aftersales.ticket", "read")]


@strawberry.type
class SlaQuery:
    @strawberry.field(permission_classes=READ, description="In position order; the first active match applies.")
    async def sla_policies(self, info: Info) -> list[SlaPolicyType]:
        return [SlaPolicyType.from_row(r) for r in await sla_policies.policies(info.context.tenant_id)]

    @strawberry.field(permission_classes=READ, description="In position order.")
    async def escalation_rules(self, info: Info) -> list[EscalationRuleType]:
        return [EscalationRuleType.from_row(r) for r in await escalation_rules.rules(info.context.tenant_id)]

    @strawberry.field(permission_classes=READ)
    async def sla_calendars(self, info: Info) -> list[SlaCalendarType]:
        return [SlaCalendarType.from_row(r) for r in await sla_calendars.calendars(info.context.tenant_id)]


contribution = GraphQLContribution(
    queries=[SlaQuery],
    mutations=[SlaPolicyMutations, EscalationRuleMutations, SlaCalendarMutations],
    types=[SlaPolicyType, EscalationRuleType, SlaCalendarType, TicketEscalationType],
    extends={"Ticket": [TicketSlaFields]},
)
