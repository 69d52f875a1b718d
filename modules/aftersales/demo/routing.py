"""Demo priority rules, a routing rule to the team module's demo team, and canned replies.

Written through the services (checked and audited like an admin's edits), acting as the tenant's
first member; loaded before the demo tickets so those are prioritised and routed by these rules.
"""

from __future__ import annotations

from core.auth.principal import Principal
from core.models import Membership
from core.tenancy import scoped
from modules.aftersales.models import Macro, PriorityRule
from modules.aftersales.services.macros import macros
from modules.aftersales.services.macros.macros import MacroActions, MacroInput, VariantInput
from modules.aftersales.services.routing import assignment as routing
from modules.aftersales.services.routing import priority
from modules.aftersales.services.routing.assignment import RoutingRuleInput
from modules.aftersales.services.routing.conditions import ConditionsInput, MinAmount
from modules.aftersales.services.routing.priority import PriorityRuleInput
from modules.team.models import Team

GREETING = {
    "en": "Hello {{ customer.first_name }},\n\nthank you for your message about ticket #{{ ticket.number }}.\n\n"
          "{{ agent.name }}",
    "de": "Hallo {{ customer.first_name }},\n\nvielen Dank für Ihre Nachricht zu Ticket #{{ ticket.number }}.\n\n"
          "{{ agent.name }}",
    "es": "Hola {{ customer.first_name }}:\n\ngracias por su mensaje sobre el ticket #{{ ticket.number }}.\n\n"
          "{{ agent.name }}",
    "fr": "Bonjour {{ customer.first_name }},\n\nmerci pour votre message concernant le ticket n° {{ ticket.number }}."
          "\n\n{{ agent.name }}",
    "ja": "{{ customer.name }} 様\n\nチケット #{{ ticket.number }} についてご連絡いただき、ありがとうございます。\n\n"
          "{{ agent.name }}",
    "zh-Hans": "{{ customer.name }}，您好：\n\n感谢您就工单 #{{ ticket.number }} 联系我们。\n\n{{ agent.name }}",
}


async def load(tenant_id: int) -> None:
    if await scoped(PriorityRule, tenant_id).exists() or await scoped(Macro, tenant_id).exists():
        return
    member = await Membership.filter(tenant_id=tenant_id, is_active=True).order_by("id").first()
    if member is None:
        return
    actor = Principal(member.user_id, tenant_id, via="script")
    await priority.create_rule(actor, PriorityRuleInput(
        name="Legal threats", priority="urgent",
        conditions=ConditionsInput(keywords=["chargeback", "lawyer", "abogado", "Anwalt", "律师"]), active=True))
    await priority.create_rule(actor, PriorityRuleInput(
        name="VIP or large orders", priority="high", conditions=ConditionsInput(tiers=["vip"]), active=True))
    await priority.create_rule(actor, PriorityRuleInput(
        name="Orders over 500 EUR", priority="high",
        conditions=ConditionsInput(min_order_total=MinAmount("500", "EUR")), active=True))
    team = await scoped(Team, tenant_id).order_by("id").first()
    if team is not None:
        await routing.create_rule(actor, RoutingRuleInput(
            name="Everything to support", team_id=team.id, strategy="least_loaded", conditions=ConditionsInput(),
            active=True))
    await macros.create_macro(actor, MacroInput(
        name="Greeting", active=True, actions=MacroActions(status="pending_customer"),
        variants=[VariantInput(language=lang, body=body) for lang, body in GREETING.items()]))
