"""SLA policies: per-tenant targets (business minutes) for the tickets whose priority, customer tier
and channel match; the first active policy by position applies.

Create and update take the model's field names; an update merges its changes into the row and
validates the whole, so both paths share one set of checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import SlaPolicy, Ticket
from modules.aftersales.models.ticket import PRIORITIES, TICKET_CHANNELS
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.settings_table import CheckedTable
from modules.crm.models import Customer
from modules.crm.models.customer import TIERS

MAX_POLICIES = 100
MAX_TARGET = 365 * 24 * 60  # a year of business minutes
TARGETS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
LISTS: dict[str, tuple[Sequence[str], str]] = {
    "priorities": (PRIORITIES, "UNKNOWN_PRIORITY"),
    "tiers": (TIERS, "UNKNOWN_TIER"),
    "channels": (TICKET_CHANNELS, "UNKNOWN_CHANNEL"),
}
FIELDS = ("name", "position", "active", *LISTS, *TARGETS)
DEFAULTS: dict[str, Any] = {"position": 0, "active": True, "priorities": [], "tiers": [], "channels": [],
                            **dict.fromkeys(TARGETS)}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def name_errors(name: Any, taken: bool) -> list[UserFacingError]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        return [aftersales_error("INVALID_NAME", N_("A name has 1 to 100 characters."), ["name"])]
    if taken:
        return [aftersales_error("NAME_TAKEN", N_("The name {name} is already used."), ["name"], name=name.strip())]
    return []


def choice_errors(key: str, values: Any, allowed: Sequence[str], code: str) -> list[UserFacingError]:
    """Each value of a condition list must be one of `allowed` (the message lists them)."""
    if not isinstance(values, list):
        return [aftersales_error("INVALID_VALUE", N_("Expected a list."), [_camel(key)])]
    return [aftersales_error(code, N_("Unknown value {value}: use one of {allowed}."), [_camel(key), str(i)],
                             value=v, allowed=", ".join(allowed))
            for i, v in enumerate(values) if v not in allowed]


def minutes_errors(key: str, value: Any, minimum: int = 1) -> list[UserFacingError]:
    if value is None:
        return []
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_TARGET:
        return [aftersales_error("INVALID_MINUTES", N_("Minutes must be a whole number from {min} to {max}."),
                                 [_camel(key)], min=minimum, max=MAX_TARGET)]
    return []


async def _validated(tid: int, values: dict[str, Any], exclude_id: int | None) -> dict[str, Any]:
    taken = scoped(SlaPolicy, tid).filter(name=str(values["name"]).strip())
    if exclude_id is not None:
        taken = taken.exclude(id=exclude_id)
    errors = name_errors(values["name"], await taken.exists())
    for key, (allowed, code) in LISTS.items():
        errors += choice_errors(key, values[key], allowed, code)
    for key in TARGETS:
        errors += minutes_errors(key, values[key])
    if all(values[k] is None for k in TARGETS):
        errors.append(aftersales_error("NO_TARGET", N_("Give at least one target."), ["firstResponseMinutes"]))
    if errors:
        raise UserFacingErrors(errors)
    return {**values, "name": values["name"].strip(), **{k: sorted(set(values[k])) for k in LISTS}}


TABLE = CheckedTable(model=SlaPolicy, label="sla_policy", fields=FIELDS, defaults=DEFAULTS, validate=_validated,
                     max_rows=MAX_POLICIES, not_found=N_("No such SLA policy."),
                     too_many=N_("At most {max} SLA policies."))

get_policy = TABLE.get
create_policy = TABLE.create
update_policy = TABLE.changed  # applies to clocks computed from now on; running deadlines stay
delete_policy = TABLE.delete
policies = TABLE.rows


def first_match(rows: Sequence[SlaPolicy], priority: str, tier: str | None, channel: str) -> SlaPolicy | None:
    """The first active policy (rows in position order) whose every non-empty condition holds."""
    for row in rows:
        if (row.active and (not row.priorities or priority in row.priorities)
                and (not row.tiers or tier in row.tiers) and (not row.channels or channel in row.channels)):
            return row
    return None


async def policy_for(ticket: Ticket) -> SlaPolicy | None:
    tid = ticket.tenant_id
    tiers = [] if ticket.customer_id is None else await scoped(Customer, tid).filter(
        id=ticket.customer_id).values_list("tier", flat=True)
    tier = str(tiers[0]) if tiers else None
    return first_match(await policies(tid), ticket.priority, tier, ticket.channel)
