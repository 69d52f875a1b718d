"""Escalation rules, the tenant's settings for the breach scan: when (a clock breached, or due within
N minutes), for which tickets (priorities, team) and what to do (notify, reassign, raise priority).

Create and update take the model's field names and validate the merged whole (as SLA policies do).
"""

from __future__ import annotations

from typing import Any

from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import Membership
from core.tenancy import scoped
from modules.aftersales.models import EscalationRule
from modules.aftersales.models.sla import RULE_CLOCKS, TRIGGERS
from modules.aftersales.models.ticket import PRIORITIES
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.settings_table import CheckedTable
from modules.aftersales.services.sla.policies import choice_errors, minutes_errors, name_errors
from modules.team.models import Team

MAX_RULES = 100
ACTIONS = ("notify", "reassign_user_id", "reassign_team_id", "raise_priority")
FIELDS = ("name", "position", "active", "trigger", "within_minutes", "clock", "priorities", "team_id", *ACTIONS)
DEFAULTS: dict[str, Any] = {"position": 0, "active": True, "trigger": "breached", "within_minutes": 0,
                            "clock": "any", "priorities": [], "team_id": None, "notify": False,
                            "reassign_user_id": None, "reassign_team_id": None, "raise_priority": False}


async def _reference_errors(tid: int, values: dict[str, Any]) -> list[UserFacingError]:
    errors = []
    for key, path in (("team_id", "teamId"), ("reassign_team_id", "reassignTeamId")):
        if values[key] is not None and not await scoped(Team, tid).filter(id=values[key]).exists():
            errors.append(aftersales_error("NOT_FOUND", N_("No such team."), [path]))
    user = values["reassign_user_id"]
    if user is not None and not await Membership.filter(tenant_id=tid, user_id=user, is_active=True).exists():
        errors.append(aftersales_error("NOT_FOUND", N_("No such member of this team."), ["reassignUserId"]))
    return errors


async def _validated(tid: int, values: dict[str, Any], exclude_id: int | None) -> dict[str, Any]:
    taken = scoped(EscalationRule, tid).filter(name=str(values["name"]).strip())
    if exclude_id is not None:
        taken = taken.exclude(id=exclude_id)
    errors = name_errors(values["name"], await taken.exists())
    if values["trigger"] not in TRIGGERS:
        errors.append(aftersales_error("INVALID_TRIGGER", N_("Unknown value {value}: use one of {allowed}."),
                                       ["trigger"], value=values["trigger"], allowed=", ".join(TRIGGERS)))
    elif values["trigger"] == "due_soon":
        errors += minutes_errors("within_minutes", values["within_minutes"])
    else:
        values = {**values, "within_minutes": 0}
    if values["clock"] not in RULE_CLOCKS:
        errors.append(aftersales_error("INVALID_CLOCK", N_("Unknown value {value}: use one of {allowed}."),
                                       ["clock"], value=values["clock"], allowed=", ".join(RULE_CLOCKS)))
    errors += choice_errors("priorities", values["priorities"], PRIORITIES, "UNKNOWN_PRIORITY")
    if not any(values[k] for k in ACTIONS):
        errors.append(aftersales_error("NO_ACTION", N_("Choose at least one action."), ["notify"]))
    errors += await _reference_errors(tid, values)
    if errors:
        raise UserFacingErrors(errors)
    return {**values, "name": values["name"].strip(), "priorities": sorted(set(values["priorities"]))}


TABLE = CheckedTable(model=EscalationRule, label="escalation_rule", fields=FIELDS, defaults=DEFAULTS,
                     validate=_validated, max_rows=MAX_RULES, not_found=N_("No such escalation rule."),
                     too_many=N_("At most {max} escalation rules."))

get_rule = TABLE.get
create_rule = TABLE.create
update_rule = TABLE.changed
delete_rule = TABLE.delete  # the rule's past escalations stay on their tickets (with the rule's name)
rules = TABLE.rows
