"""The dry run: what a rule (saved, or given inline) would have done with the tenant's last N
events of its trigger. It reads, and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import automation, events
from core.i18n import N_
from core.models import OutboxEvent
from modules.automation.services.errors import automation_error as err
from modules.automation.services.plan import Plan, plan

MAX_EVENTS = 100


@dataclass(frozen=True)
class Tried:
    event_id: str
    at: datetime
    verdict: Plan


async def last_events(tenant_id: int, topic: str, last: int) -> list[OutboxEvent]:
    """The tenant's newest events of a topic (the outbox is global: filtered by tenant here, on the
    (tenant_id, topic, created_at) index)."""
    return await OutboxEvent.filter(tenant_id=tenant_id, topic=topic).order_by("-created_at", "-id").limit(last)


async def try_rule(tenant_id: int, trigger_name: str, rule_conditions: Any, actions: Sequence[Mapping[str, Any]],
                   last: int) -> list[Tried]:
    """Each of the last `last` events, newest first, with what the rule would do with it."""
    if not 1 <= last <= MAX_EVENTS:
        raise err("INVALID_COUNT", N_("Test against 1 to {max} events."), ["last"], max=MAX_EVENTS)
    trigger = automation.trigger(trigger_name)
    if trigger is None:
        raise err("UNKNOWN_TRIGGER", N_("Unknown trigger {trigger}."), ["trigger"], trigger=trigger_name)
    found = await last_events(tenant_id, trigger_name, last)
    return [Tried(str(e.id), e.created_at, plan(trigger, rule_conditions, actions,
                                                e.payload if isinstance(e.payload, dict) else {},
                                                events.chain_depth(e)))
            for e in found]
