"""When a rule fires, if not on its event: an offset from the event, or a schedule's slots.

Both become DueFiring rows that the time scan fires (services/time_scan.py):
- an offset rule's row is written when its event is handled (`owe_offsets`, in the outbox
  handler's transaction with its receipt: once per event), due at the event's time (or the moment
  in its `offset_from` field) plus `offset_minutes`;
- a schedule rule always has its next slot's row: written when the rule is saved, and the next one
  when a slot fires (`owe_next_slot`). A switched-off rule has none: switching it off drops its
  pending rows, offsets included, and switching it on again owes the next slot only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core import automation, conditions
from core.automation import Field, Trigger
from core.errors import UserFacingError
from core.i18n import N_
from core.models import OutboxEvent, Tenant
from core.tenancy import scoped
from modules.automation.models import DueFiring, Rule
from modules.automation.services import schedules
from modules.automation.services.errors import automation_error as err
from modules.automation.services.plan import plan

SCHEDULE = "automation.schedule"  # the trigger of rules that fire on a schedule (automation.py)
MAX_OFFSET_MINUTES = 366 * 24 * 60


def check_offset(trigger: Trigger, minutes: Any, moment: Any, errors: list[UserFacingError]) -> dict[str, Any]:
    """The offset columns, or nothing when the rule fires on its event (minutes None)."""
    if minutes is None:
        return {"offset_minutes": None, "offset_from": ""}
    if trigger.event == SCHEDULE:
        errors.append(err("INVALID_OFFSET", N_("A scheduled rule fires at its slots: it takes no offset."),
                          ["timing"]))
        return {}
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < abs(minutes) <= MAX_OFFSET_MINUTES:
        errors.append(err("INVALID_OFFSET", N_("An offset of 1 to {max} minutes, after (positive) or before "
                                               "(negative)."), ["timing", "minutes"], max=MAX_OFFSET_MINUTES))
    name = moment or ""
    if name:
        f = trigger.field(str(name))
        if f is None or f.type != "datetime":
            moments = [x.name for x in trigger.fields if x.type == "datetime"]
            errors.append(err("UNKNOWN_FIELD", N_("Count from the event's time or one of its dates: {fields}."),
                              ["timing", "from"], fields=", ".join(moments) or "-"))
    elif minutes is not None and isinstance(minutes, int) and minutes < 0:
        errors.append(err("INVALID_OFFSET", N_("A negative offset counts back from one of the event's dates: "
                                               "name it in from."), ["timing", "from"]))
    return {"offset_minutes": minutes, "offset_from": name}


def check_schedule(trigger: Trigger, spec: Any, errors: list[UserFacingError]) -> dict[str, Any]:
    if trigger.event != SCHEDULE:
        if spec is not None:
            errors.append(err("INVALID_SCHEDULE", N_("Only rules on {trigger} take a schedule."), ["schedule"],
                              trigger=SCHEDULE))
        return {"schedule": None}
    checked, more = schedules.check(spec)
    errors += more
    return {"schedule": checked or None}


def _moment(trigger: Trigger, rule: Rule, event: OutboxEvent) -> datetime | None:
    if not rule.offset_from:
        return event.created_at
    f: Field | None = trigger.field(rule.offset_from)
    payload = event.payload if isinstance(event.payload, dict) else {}
    return conditions.parse_moment(payload.get(f.payload_key)) if f else None


def offset_key(event: OutboxEvent, minutes: int) -> str:
    return f"event:{event.id}:{minutes:+d}m"


async def owe_offsets(event: OutboxEvent, depth: int) -> int:
    """The tenant's enabled offset rules of this event's trigger whose conditions the event meets
    owe a firing at their time (checked again then); an event without the date a rule counts from
    owes it none. How many."""
    trigger = automation.trigger(event.topic)
    if trigger is None or event.tenant_id is None:
        return 0
    owed = 0
    payload = event.payload if isinstance(event.payload, dict) else {}
    rules = scoped(Rule, event.tenant_id).filter(trigger=event.topic, enabled=True, offset_minutes__not_isnull=True)
    for rule in await rules.order_by("position", "id"):
        moment = _moment(trigger, rule, event)
        verdict = plan(trigger, rule.conditions, rule.actions, payload, depth)
        if moment is None or rule.offset_minutes is None or not (verdict.matches or verdict.error):
            continue
        key = offset_key(event, rule.offset_minutes)
        if await scoped(DueFiring, event.tenant_id).filter(rule_id=rule.id, cause_key=key).exists():
            continue
        await DueFiring.create(tenant_id=event.tenant_id, rule_id=rule.id, cause="offset", cause_key=key,
                               due_at=moment + timedelta(minutes=rule.offset_minutes), event_id=event.id,
                               data=payload, depth=depth)
        owed += 1
    return owed


def slot_key(slot: datetime) -> str:
    return f"schedule:{slot.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"


async def owe_next_slot(rule: Rule, after: datetime) -> DueFiring | None:
    """The schedule's first slot after `after`, owed once (None: not a schedule, or switched off)."""
    if not rule.schedule or not rule.enabled:
        return None
    tenant = await Tenant.get(id=rule.tenant_id)
    slot = schedules.next_slot(rule.schedule, schedules.zone(tenant.timezone), after)
    row, _ = await DueFiring.get_or_create(
        tenant_id=rule.tenant_id, rule_id=rule.id, cause_key=slot_key(slot),
        defaults={"cause": "schedule", "due_at": slot, "data": {"tenant_id": rule.tenant_id,
                                                                "slot": slot.isoformat()}})
    return row


async def rule_saved(rule: Rule, before: dict[str, Any] | None, now: datetime) -> None:
    """In the save's transaction: a rule switched off drops its pending firings; a schedule
    changed, or switched on, owes its next slot from now."""
    pending = scoped(DueFiring, rule.tenant_id).filter(rule_id=rule.id)
    if not rule.enabled:
        await pending.delete()
        return
    if before is not None and before.get("schedule") == rule.schedule and before.get("enabled"):
        return
    await pending.filter(cause="schedule").delete()
    await owe_next_slot(rule, now)


def pending(tenant_id: int, rule_id: int) -> Any:
    """A rule's firings waiting for their time, soonest first."""
    return scoped(DueFiring, tenant_id).filter(rule_id=rule_id).order_by("due_at", "id")
