"""Demo data: the rule the docs begin with (a shipped order over 100 EUR tags its customer VIP), and
one example firing of it, so an admin sees what the firings list shows."""

from __future__ import annotations

from typing import Any

from core import automation
from core.tenancy import scoped
from modules.automation.models import Rule, RuleFiring

VIP_RULE: dict[str, Any] = {
    "trigger": "crm.order.status_changed",
    "description": "Shipped orders over 100 EUR make their customer a VIP",
    "conditions": {"all": [{"field": "to", "op": "eq", "value": "shipped"},
                           {"field": "total", "op": "gt", "value": {"amount": "100.00", "currency": "EUR"}}]},
    "actions": [{"action": "crm.add_tag", "params": {"tag": "VIP"}}],
}


async def load(tenant_id: int) -> None:
    """Only where crm declares what the rule uses (automation itself depends on no module)."""
    declared = automation.trigger(VIP_RULE["trigger"]) and automation.action("crm.add_tag")
    if not declared or await scoped(Rule, tenant_id).exists():
        return
    rule = await Rule.create(tenant_id=tenant_id, position=0, **VIP_RULE)
    await RuleFiring.create(tenant_id=tenant_id, rule_id=rule.id, cause="demo", cause_key="demo:1", result="done",
                            actions=[{"action": "crm.add_tag", "state": "done"}])
