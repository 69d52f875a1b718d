"""The condition language shared by priority and routing rules, checked on save, matched in Python.

A rule's conditions are an object; every key given must hold (AND), a list holds when any of its
values matches (OR); an empty object matches every ticket:
- `types`, `channels`: ticket type / channel (see models/ticket.py);
- `languages`: the ticket's language, compared by primary subtag (`de` matches `de-AT`);
- `countries`: the customer's country (ISO 3166-1 alpha-2); `tiers`: the customer's tier;
- `min_order_total`: `{"minor": int, "currency": "EUR"}`: the ticket's order is in that currency and
  its total is at least that much (an order in another currency never matches);
- `keywords` (priority rules only): case-insensitive whole words in the subject and body; in
  scripts written without spaces (Chinese, Japanese, Thai...) a keyword matches anywhere.

Rules are few per tenant and tickets arrive one by one, so the ticket's facts are loaded once and
every rule is matched in memory.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.money import to_minor
from core.tenancy import scoped
from modules.aftersales.models import Ticket
from modules.aftersales.models.ticket import TICKET_CHANNELS, TICKET_TYPES
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.settings_table import SettingsTable
from modules.crm.models import Customer, Order
from modules.crm.models.customer import TIERS

UNSET: Any = object()  # "leave as it is" in an update
MAX_VALUES = 50
MAX_KEYWORD = 100
KEYS = ("types", "channels", "languages", "countries", "tiers", "min_order_total", "keywords")
_NO_SPACE_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


@dataclass(frozen=True)
class MinAmount:
    """What a rule input gives for an order-total threshold: a decimal string and a currency."""

    amount: str
    currency: str


@dataclass
class ConditionsInput:
    """Conditions as a client sends them, before checking; None means "no condition on this"."""

    types: list[str] | None = None
    channels: list[str] | None = None
    languages: list[str] | None = None
    countries: list[str] | None = None
    tiers: list[str] | None = None
    min_order_total: MinAmount | None = None
    keywords: list[str] | None = None


def _choices(values: list[str], allowed: Sequence[str], key: str, code: str, message: str,
             path: Sequence[str], errors: list[UserFacingError]) -> list[str]:
    out = []
    for i, value in enumerate(values):
        if value not in allowed:
            errors.append(err(code, message, [*path, key, str(i)], value=value))
        elif value not in out:
            out.append(value)
    return out


def _keywords(values: list[str], path: Sequence[str], errors: list[UserFacingError]) -> list[str]:
    out = []
    for i, value in enumerate(values):
        word = " ".join(value.split()).casefold()
        if not word or len(word) > MAX_KEYWORD:
            errors.append(err("INVALID_KEYWORD", N_("A keyword has 1 to {max} characters."),
                              [*path, "keywords", str(i)], max=MAX_KEYWORD))
        elif word not in out:
            out.append(word)
    return out


def _checked_each(values: list[str], check: Any, key: str, path: Sequence[str],
                  errors: list[UserFacingError]) -> list[str]:
    out = []
    for i, value in enumerate(values):
        normalised = validation.collect(errors, check, value, field=[*path, key, str(i)])
        if normalised is not None and normalised not in out:
            out.append(normalised)
    return out


def check(given: ConditionsInput, keys: Sequence[str] = KEYS,
          path: Sequence[str] = ("conditions",)) -> tuple[dict[str, Any], list[UserFacingError]]:
    """(normalised conditions, every error with its field path); `keys` are those the rule kind allows."""
    errors: list[UserFacingError] = []
    out: dict[str, Any] = {}
    for key in KEYS:
        value = getattr(given, key)
        if value is None:
            continue
        if key not in keys:
            errors.append(err("UNSUPPORTED_CONDITION", N_("This kind of rule cannot use {key}."),
                              [*path, key], key=key))
            continue
        if isinstance(value, list) and len(value) > MAX_VALUES:
            errors.append(err("TOO_MANY_VALUES", N_("At most {max} values."), [*path, key], max=MAX_VALUES))
            continue
        if key == "types":
            out[key] = _choices(value, TICKET_TYPES, key, "INVALID_TYPE", N_("Unknown ticket type {value}."),
                                path, errors)
        elif key == "channels":
            out[key] = _choices(value, TICKET_CHANNELS, key, "INVALID_CHANNEL", N_("Unknown channel {value}."),
                                path, errors)
        elif key == "tiers":
            out[key] = _choices(value, TIERS, key, "INVALID_TIER", N_("Unknown customer tier {value}."),
                                path, errors)
        elif key == "languages":
            out[key] = _checked_each(value, validation.language, key, path, errors)
        elif key == "countries":
            out[key] = _checked_each(value, validation.country, key, path, errors)
        elif key == "keywords":
            out[key] = _keywords(value, path, errors)
        elif key == "min_order_total":
            field = [*path, "minOrderTotal"]
            currency = validation.collect(errors, validation.currency, value.currency, field=[*field, "currency"])
            if currency is not None:
                try:
                    minor = to_minor(value.amount, currency, field=[*field, "amount"])
                except UserFacingError as exc:
                    errors.append(exc)
                else:
                    if minor < 0:
                        errors.append(err("NEGATIVE_AMOUNT", N_("The amount cannot be negative."),
                                          [*field, "amount"]))
                    out[key] = {"minor": minor, "currency": currency}
    return out, errors


@dataclass(frozen=True)
class TicketFacts:
    """Everything a condition can look at, loaded once per ticket."""

    type: str
    channel: str
    language: str
    country: str | None
    tier: str | None
    order_total: int | None
    order_currency: str | None
    text: str  # casefolded subject and body


async def facts(ticket: Ticket, text: str = "") -> TicketFacts:
    """The ticket's facts, with its customer and order read in the ticket's tenant."""
    customer = order = None
    if ticket.customer_id is not None:
        customer = await scoped(Customer, ticket.tenant_id).filter(id=ticket.customer_id).first()
    if ticket.order_id is not None:
        order = await scoped(Order, ticket.tenant_id).filter(id=ticket.order_id).first()
    return TicketFacts(
        type=ticket.type, channel=ticket.channel, language=ticket.language,
        country=customer.country if customer else None, tier=customer.tier if customer else None,
        order_total=order.total if order else None, order_currency=order.currency if order else None,
        text=f"{ticket.subject}\n{text}".casefold())


def _spaced(char: str) -> bool:
    """Whether words of this character's script are separated by spaces (so a boundary applies)."""
    name = unicodedata.name(char, "")
    return not any(name.startswith(script) for script in _NO_SPACE_SCRIPTS)


def keyword_pattern(word: str) -> re.Pattern[str]:
    """A whole-word match for a (casefolded) keyword; no boundary beside no-space script letters."""
    before = r"(?<!\w)" if _spaced(word[0]) else ""
    after = r"(?!\w)" if _spaced(word[-1]) else ""
    return re.compile(before + re.escape(word).replace(r"\ ", r"\s+") + after)


def primary(tag: str) -> str:
    """A language tag's primary subtag: `de-AT` -> `de`."""
    return tag.split("-")[0].lower()


def matches(conditions: dict[str, Any], f: TicketFacts) -> bool:
    """Whether a ticket with these facts meets every condition."""
    if "types" in conditions and f.type not in conditions["types"]:
        return False
    if "channels" in conditions and f.channel not in conditions["channels"]:
        return False
    if "languages" in conditions and (
            not f.language or primary(f.language) not in {primary(t) for t in conditions["languages"]}):
        return False
    if "countries" in conditions and f.country not in conditions["countries"]:
        return False
    if "tiers" in conditions and f.tier not in conditions["tiers"]:
        return False
    if "min_order_total" in conditions:
        threshold = conditions["min_order_total"]
        if f.order_total is None or f.order_currency != threshold["currency"] or f.order_total < threshold["minor"]:
            return False
    return "keywords" not in conditions or any(keyword_pattern(w).search(f.text) for w in conditions["keywords"])


# Ordered rule lists (priority rules, routing rules): stored, audited and reordered the same way.

MAX_RULES = 200


def name_errors(name: str) -> list[UserFacingError]:
    if not name.strip() or len(name.strip()) > 100:
        return [err("INVALID_NAME", N_("A rule name has 1 to 100 characters."), ["name"])]
    return []


def common_values(given: Any, keys: Sequence[str] = KEYS) -> tuple[dict[str, Any], list[UserFacingError]]:
    """What every kind of rule input checks alike: `name`, `conditions` (on `keys`) and `active`;
    UNSET fields are left out. The kind's own fields are checked by its service."""
    values: dict[str, Any] = {}
    errors: list[UserFacingError] = []
    if given.name is not UNSET:
        errors += name_errors(given.name)
        values["name"] = given.name.strip()
    if given.conditions is not UNSET:
        values["conditions"], more = check(given.conditions or ConditionsInput(), keys)
        errors += more
    if given.active is not UNSET:
        values["active"] = bool(given.active)
    return values, errors


@dataclass(frozen=True)
class RuleTable(SettingsTable[Any]):
    """One kind of ordered rule: checked by its service before the write, appended last on create."""

    not_found: str = N_("No such rule.")

    async def create(self, actor: Principal, values: dict[str, Any], errors: list[UserFacingError]) -> Any:
        """A new rule, tried after every existing one until it is moved."""
        tid = actor.tenant_id
        if await scoped(self.model, tid).count() >= MAX_RULES:
            errors = [*errors, err("TOO_MANY", N_("At most {max} rules."), ["name"], max=MAX_RULES)]
        if errors:
            raise UserFacingErrors(errors)
        async with in_transaction():
            last = await scoped(self.model, tid).order_by("-position").limit(1).values_list("position", flat=True)
            position = int(str(last[0])) + 1 if last else 0
            return await self.created(actor, {"position": position, **values})

    async def update(self, actor: Principal, rule_id: int, values: dict[str, Any],
                     errors: list[UserFacingError]) -> Any:
        if errors:
            raise UserFacingErrors(errors)
        return await self.changed(actor, rule_id, values)

    async def reorder(self, actor: Principal, ids: list[int]) -> list[Any]:
        """Positions 0..n-1 in the order of `ids`, which must name each of the tenant's rules once.

        The rows are locked (PostgreSQL) so two reorders cannot interleave.
        """
        tid = actor.tenant_id
        async with in_transaction():
            current = await scoped(self.model, tid).select_for_update().order_by("position", "id")
            rows = {r.id: r for r in current}
            if len(set(ids)) != len(ids) or set(ids) != set(rows):
                raise err("INVALID_ORDER", N_("Give every rule of the list exactly once."), ["ids"])
            ordered = [rows[i] for i in ids]
            for position, row in enumerate(ordered):
                if row.position != position:
                    row.position = position
                    await row.save(update_fields=["position", "updated_at"])
            await audit.record(actor, tid, f"{self.label}.reorder", self.model.__name__, "*",
                               {"order": [r.id for r in current]}, {"order": ids})
        return ordered
