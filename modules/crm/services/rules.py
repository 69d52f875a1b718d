"""The segment rule language: JSON, validated fully, compiled to one SQL condition (never evaluated in Python).

A rule is a group or a condition:
- `{"all": [rule, ...]}`, `{"any": [rule, ...]}` (one or more rules each), `{"not": rule}`;
- `{"field": name, "op": op, "value": v}`.

Fields and their ops (`ne`, `not_in`, `has_not` and `is_null: false` are the exact complement of
`eq`, `in`, `has` and `is_null: true`: a customer without a value matches `ne`):
- country, language, tier, stage: eq ne in not_in (+ is_null for country and language);
- created_at, birthday, orders.first_at, orders.last_at: eq ne gt gte lt lte between (+ is_null
  except created_at). A value is an ISO date (the whole day, UTC), an ISO date-time, or
  `{"days_ago": n}` (now minus n days, evaluated when the rule runs); `between` takes `[from, to]`,
  both included. birthday takes dates only. orders.*_at is_null: the customer has no order;
- marketing_consent: eq ne with true/false;
- tag: has has_not with a tag: stored as the tag's id (segments.py resolves a name given on saving, and
  shows the name again on reading), so renaming a tag keeps the rule;
- rfm.recency, rfm.frequency, rfm.monetary: integers 1-5, eq ne in not_in gt gte lt lte between,
  is_null (no score computed yet);
- orders.count: integer >= 0, eq ne in not_in gt gte lt lte between (a customer without orders has 0);
- orders.total: the sum of the customer's orders in `"currency"` (required key), an amount in major
  units (12.5 EUR), eq ne gt gte lt lte between;
- custom.<key>: a custom field of the tenant. text/choice: eq ne in not_in is_null; number: like
  orders.count (numbers) plus is_null; boolean: eq ne is_null; date: like birthday (ISO dates, compared as
  the stored ISO text).

Errors name the path in the rule (`["rule", "all", "2", "value"]`). At most 50 conditions and 5 nested groups:
the groups are walked by core.conditions, which automation rules share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count, Max, Min, Sum
from tortoise.queryset import QuerySet

from core import conditions, money, validation
from core.errors import UserFacingError
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Customer, CustomerScore, CustomerTag, Order, Tag
from modules.crm.services import values as coded
from modules.crm.services.errors import crm_error

MAX_LIST = 100
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

EQ_IN = ("eq", "ne", "in", "not_in")
ORDERED = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
NUMERIC = EQ_IN + ("gt", "gte", "lt", "lte", "between")
ALL_OPS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "has", "has_not", "is_null")
NEGATED = {"ne": "eq", "not_in": "in", "has_not": "has"}

# field -> (kind, ops)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "country": ("country", EQ_IN + ("is_null",)),
    "language": ("language", EQ_IN + ("is_null",)),
    "tier": ("tier", EQ_IN),
    "stage": ("stage", EQ_IN),
    "created_at": ("datetime", ORDERED),
    "birthday": ("date", ORDERED + ("is_null",)),
    "marketing_consent": ("boolean", ("eq", "ne")),
    "tag": ("tag", ("has", "has_not")),
    "rfm.recency": ("rfm", NUMERIC + ("is_null",)),
    "rfm.frequency": ("rfm", NUMERIC + ("is_null",)),
    "rfm.monetary": ("rfm", NUMERIC + ("is_null",)),
    "orders.count": ("count", NUMERIC),
    "orders.total": ("amount", ORDERED),
    "orders.first_at": ("datetime", ORDERED + ("is_null",)),
    "orders.last_at": ("datetime", ORDERED + ("is_null",)),
}
CUSTOM_OPS = {"text": EQ_IN + ("is_null",), "choice": EQ_IN + ("is_null",), "number": NUMERIC + ("is_null",),
              "boolean": ("eq", "ne", "is_null"), "date": ORDERED + ("is_null",)}


@dataclass(frozen=True)
class FieldDef:
    """What the rule checker needs of a custom field definition."""

    type: str
    choices: tuple[str, ...] = ()


# --- validation -------------------------------------------------------------------------------


@dataclass
class Checked:
    errors: list[UserFacingError]
    tags: list[tuple[str | int, list[str]]]  # tag names or ids the rule uses, with their paths (checked against
    # the tenant)
    custom_keys: set[str]


def tag_values(rule: Any) -> list[Any]:
    """The values of a rule's tag conditions: ids as stored, names as a client may give them."""
    return [c.get("value") for c in conditions.leaves(rule) if c.get("field") == "tag"]


def with_tags(rule: Any, mapping: Mapping[Any, Any]) -> Any:
    """A copy of the rule with each tag condition's value replaced through `mapping` (kept when absent):
    names to ids when a rule is saved, ids to names when it is read."""
    if not isinstance(rule, dict):
        return rule
    if "field" in rule:
        value = rule.get("value")
        if rule.get("field") == "tag" and isinstance(value, str | int) and value in mapping:
            return {**rule, "value": mapping[value]}
        return dict(rule)
    out = dict(rule)
    for key in ("all", "any"):
        if isinstance(rule.get(key), list):
            out[key] = [with_tags(item, mapping) for item in rule[key]]
    if "not" in rule:
        out["not"] = with_tags(rule["not"], mapping)
    return out


def custom_keys(rule: Any) -> set[str]:
    """The custom field keys a (stored, valid) rule refers to."""
    names = (c.get("field") for c in conditions.leaves(rule))
    return {n[7:] for n in names if isinstance(n, str) and n.startswith("custom.")}


# The shape errors keep the codes and messages segment rules had before the walk moved to core.
WORDS = conditions.Vocabulary(
    invalid="INVALID_RULE", not_an_object=N_("A rule is an object: all, any, not, or a condition."),
    one_key=N_("A group has exactly one key: all, any or not."), empty=N_("List one or more rules."),
    too_deep="RULE_TOO_DEEP", too_deep_message=N_("Groups nest at most {max} deep."),
    too_large="RULE_TOO_LARGE", too_large_message=N_("A rule has at most {max} conditions."), domain="crm")


def check_rule(rule: Any, custom: Mapping[str, FieldDef], path: Sequence[str] = ("rule",)) -> Checked:
    """Every mistake in the rule at once, each with its path (groups walked by core.conditions)."""
    out = Checked([], [], set())

    def leaf(node: dict[str, Any], at: list[str]) -> list[UserFacingError]:
        found = Checked([], out.tags, out.custom_keys)
        _check_condition(node, custom, at, found)
        return found.errors

    out.errors = conditions.check_tree(rule, leaf, path, WORDS)
    return out


def _check_condition(node: dict[str, Any], custom: Mapping[str, FieldDef], path: list[str], out: Checked) -> None:
    extra = set(node) - {"field", "op", "value", "currency"}
    if extra:
        out.errors.append(crm_error("INVALID_RULE", N_("Unknown key {key} in a condition."), path + [sorted(extra)[0]],
                                    key=sorted(extra)[0]))
        return
    name, op = node.get("field"), node.get("op")
    kind, ops, fdef = _field(name, custom)
    if kind is None:
        out.errors.append(crm_error("UNKNOWN_FIELD", N_("Unknown field {field}."), path + ["field"], field=str(name)))
        return
    if op not in ops:
        out.errors.append(crm_error("UNKNOWN_OP", N_("{field} takes one of: {ops}."), path + ["op"], field=str(name),
                                    ops=", ".join(ops)))
        return
    if isinstance(name, str) and name.startswith("custom."):
        out.custom_keys.add(name[7:])
    if "currency" in node and kind != "amount":
        out.errors.append(crm_error("INVALID_RULE", N_("Only orders.total takes a currency."), path + ["currency"]))
    value_path = path + ["value"]
    if "value" not in node:
        out.errors.append(crm_error("INVALID_VALUE", N_("A condition needs a value."), value_path))
        return
    value = node["value"]
    try:
        if op == "is_null":
            if not isinstance(value, bool):
                raise crm_error("INVALID_VALUE", N_("is_null takes true or false."), value_path)
            return
        if kind == "amount":
            currency = node.get("currency")
            if not isinstance(currency, str):
                raise crm_error("INVALID_VALUE", N_("orders.total needs a currency."), path + ["currency"])
            validation.currency(currency, path + ["currency"])
        check = _value_checker(kind, fdef, node)
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value or len(value) > MAX_LIST:
                raise crm_error("INVALID_VALUE", N_("List 1 to {max} values."), value_path, max=MAX_LIST)
            for i, item in enumerate(value):
                check(item, value_path + [str(i)])
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise crm_error("INVALID_VALUE", N_("between takes [from, to]."), value_path)
            low = check(value[0], value_path + ["0"])
            high = check(value[1], value_path + ["1"])
            if _comparable(low) and _comparable(high) and type(low) is type(high) and low > high:
                raise crm_error("INVALID_VALUE", N_("from must not be after to."), value_path)
        else:
            check(value, value_path)
            if kind == "tag":
                out.tags.append((value, value_path))
    except UserFacingError as exc:
        out.errors.append(exc)


def _comparable(v: Any) -> bool:
    return isinstance(v, int | float | Decimal | date | str) and not isinstance(v, bool)


def _field(name: Any, custom: Mapping[str, FieldDef]) -> tuple[str | None, tuple[str, ...], FieldDef | None]:
    if not isinstance(name, str):
        return None, (), None
    if name.startswith("custom."):
        fdef = custom.get(name[7:])
        if fdef is None:
            return None, (), None
        return f"custom_{fdef.type}", CUSTOM_OPS[fdef.type], fdef
    if name in FIELDS:
        kind, ops = FIELDS[name]
        return kind, ops, None
    return None, (), None


def _value_checker(kind: str, fdef: FieldDef | None, node: dict[str, Any]) -> Callable[[Any, list[str]], Any]:
    def fail(path: list[str]) -> UserFacingError:
        return crm_error("INVALID_VALUE", N_("This value does not fit the field."), path)

    def string(v: Any, path: list[str]) -> str:
        if not isinstance(v, str) or not v or len(v) > 1000:
            raise fail(path)
        return v

    def integer(low: int, high: int | None) -> Callable[[Any, list[str]], int]:
        def check(v: Any, path: list[str]) -> int:
            if isinstance(v, bool) or not isinstance(v, int) or v < low or (high is not None and v > high):
                raise crm_error("INVALID_VALUE", N_("A whole number from {min} to {max}."), path, min=low,
                                max=high if high is not None else "∞")
            return v
        return check

    def number(v: Any, path: list[str]) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v or not -MAX_NUMBER <= v <= MAX_NUMBER:
            raise crm_error("INVALID_VALUE", N_("A number from -{max} to {max}."), path, max=f"{MAX_NUMBER:.0e}")
        return v

    def boolean(v: Any, path: list[str]) -> bool:
        if not isinstance(v, bool):
            raise crm_error("INVALID_VALUE", N_("true or false."), path)
        return v

    def a_date(v: Any, path: list[str]) -> date:
        parsed = _parse_date(v)
        if parsed is None:
            raise crm_error("INVALID_VALUE", N_("An ISO date (2024-05-31)."), path)
        return _in_range(parsed, path)

    def moment(v: Any, path: list[str]) -> Any:
        if isinstance(v, dict):
            days = v.get("days_ago")
            if set(v) != {"days_ago"} or isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 36500:
                raise crm_error("INVALID_VALUE", N_("An ISO date, an ISO date-time, or an object with days_ago."), path)
            return None
        if (day := _parse_date(v)) is not None:
            _in_range(day, path)
            return None
        if isinstance(v, str):
            try:
                at = datetime.fromisoformat(v)
            except ValueError:
                pass
            else:
                _in_range(at.date(), path)
                return None
        raise crm_error("INVALID_VALUE", N_("An ISO date, an ISO date-time, or an object with days_ago."), path)

    def amount(v: Any, path: list[str]) -> int:
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise crm_error("INVALID_VALUE", N_("A number."), path)
        return money.to_minor(str(v), str(node.get("currency", "")).upper(), path)

    def country(v: Any, path: list[str]) -> str:
        return coded.country(string(v, path), path)

    def language(v: Any, path: list[str]) -> str:
        return coded.language(string(v, path), path)

    def tag(v: Any, path: list[str]) -> str | int:
        if isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID:
            return v  # a tag id, as stored
        if not isinstance(v, str) or not v.strip() or len(v) > 50:
            raise crm_error("INVALID_VALUE", N_("A tag name."), path)
        return v

    checkers: dict[str, Callable[[Any, list[str]], Any]] = {
        "country": country, "language": language, "tier": coded.tier, "stage": coded.stage,
        "datetime": moment, "date": a_date, "boolean": boolean, "tag": tag, "rfm": integer(1, 5),
        "count": integer(0, MAX_COUNT), "amount": amount, "custom_text": string, "custom_number": number,
        "custom_boolean": boolean, "custom_date": a_date,
        "custom_choice": lambda v, path: coded.choice(v, fdef.choices if fdef else (), path),
    }
    return checkers[kind]


# Bounds that every database column and Python's date arithmetic hold (a day value is compared as the
# whole day, so the last day needs a day after it; a time zone moves a moment by up to a day).
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2999, 12, 31)
MAX_COUNT = 1_000_000_000
MAX_NUMBER = 1e15
MAX_ID = 2**53 - 1


def _in_range(day: date, path: list[str]) -> date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise crm_error("DATE_OUT_OF_RANGE", N_("A date from {min} to {max}."), path,
                        min=MIN_DATE.isoformat(), max=MAX_DATE.isoformat())
    return day


def _parse_date(v: Any) -> date | None:
    if isinstance(v, str) and len(v) == 10:
        try:
            return date.fromisoformat(v)
        except ValueError:
            return None
    return None


# --- compilation ------------------------------------------------------------------------------


def compile_rule(tenant_id: int, rule: dict[str, Any], now: datetime | None = None) -> Q:
    """A valid rule (see check_rule) as one condition on crm_customer: every part is a column test or
    `id IN (subquery)`, all scoped to the tenant, so no customer is loaded to evaluate it."""
    dialect = connections.get("default").capabilities.dialect
    return _Compiler(tenant_id, now or datetime.now(UTC), dialect).node(rule)


@dataclass
class _Compiler:
    tid: int
    now: datetime
    dialect: str

    def node(self, node: dict[str, Any]) -> Q:
        if "all" in node:
            return Q(*[self.node(n) for n in node["all"]], join_type="AND")
        if "any" in node:
            return Q(*[self.node(n) for n in node["any"]], join_type="OR")
        if "not" in node:
            return ~self.node(node["not"])
        op = node["op"]
        if op in NEGATED:
            return ~self.leaf(node["field"], NEGATED[op], node)
        if op == "is_null" and node["value"] is False:
            return ~self.leaf(node["field"], "is_null", node)
        return self.leaf(node["field"], op, node)

    def leaf(self, name: str, op: str, node: dict[str, Any]) -> Q:
        """The positive condition (eq, in, has, comparisons, is_null true); never NULL in SQL, so that
        NOT of it is its exact complement."""
        value = node["value"]
        if name in ("country", "language", "tier", "stage", "marketing_consent", "created_at", "birthday"):
            null: dict[str, Any] = {f"{name}__isnull": True}
            if op == "is_null":
                return Q(**null)
            if name == "country":
                value = [v.upper() for v in value] if isinstance(value, list) else value.upper()
            if name == "language":
                value = [validation.language(v) for v in value] if isinstance(value, list) \
                    else validation.language(value)
            if name == "created_at":
                return Q(**self.compare(name, op, value))
            if name == "birthday":
                value = [date.fromisoformat(v) for v in value] if isinstance(value, list) else date.fromisoformat(value)
            not_null: dict[str, Any] = {f"{name}__isnull": False}
            return Q(**self.plain(name, op, value)) & Q(**not_null)
        if name == "tag":
            links = scoped(CustomerTag, self.tid)
            if isinstance(value, int):
                return self.ids(links.filter(tag_id=value))
            # A name: a rule saved before tags were stored by id whose tag had been renamed or deleted.
            tags = scoped(Tag, self.tid).filter(name__iexact=value)
            return self.ids(links.filter(tag_id__in=Subquery(tags.values("id"))))
        if name.startswith("rfm."):
            scores = scoped(CustomerScore, self.tid)
            if op == "is_null":
                return ~self.ids(scores)
            return self.ids(scores.filter(**self.plain(name[4:], op, value)))
        if name.startswith("orders."):
            return self.orders(name[7:], op, value, node.get("currency"))
        return self.custom(name[7:], op, value)

    def ids(self, qs: QuerySet[Any], column: str = "customer_id") -> Q:
        return Q(id__in=Subquery(qs.values(column)))

    def plain(self, column: str, op: str, value: Any) -> dict[str, Any]:
        if op == "eq":
            return {column: value}
        if op == "in":
            return {f"{column}__in": value}
        if op == "between":
            return {f"{column}__gte": value[0], f"{column}__lte": value[1]}
        return {f"{column}__{op}": value}

    def moment(self, value: Any) -> tuple[datetime, datetime | None]:
        """(start, end-exclusive): a date is its whole day (UTC); a date-time or days_ago is a point (end None)."""
        if isinstance(value, dict):
            return self.now - timedelta(days=value["days_ago"]), None
        day = _parse_date(value)
        if day is not None:
            start = datetime.combine(day, time.min, UTC)
            return start, start + timedelta(days=1)
        point = datetime.fromisoformat(value)
        return (point if point.tzinfo else point.replace(tzinfo=UTC)), None

    def compare(self, column: str, op: str, value: Any) -> dict[str, Any]:
        """Comparisons on a date-time column (a day value covers the whole day)."""
        if op == "between":
            low, _ = self.moment(value[0])
            high, high_end = self.moment(value[1])
            return {f"{column}__gte": low, f"{column}__lt" if high_end else f"{column}__lte": high_end or high}
        start, end = self.moment(value)
        if end is None:
            return self.plain(column, op, start)
        return {"eq": {f"{column}__gte": start, f"{column}__lt": end}, "gt": {f"{column}__gte": end},
                "gte": {f"{column}__gte": start}, "lt": {f"{column}__lt": start},
                "lte": {f"{column}__lt": end}}[op]

    def orders(self, what: str, op: str, value: Any, currency: str | None) -> Q:
        orders = scoped(Order, self.tid).filter(customer_id__not_isnull=True)
        if what in ("first_at", "last_at"):
            if op == "is_null":
                return ~self.ids(orders)
            agg = Min("placed_at") if what == "first_at" else Max("placed_at")
            grouped = orders.annotate(at=agg).group_by("customer_id")
            return self.ids(grouped.filter(**self.compare("at", op, value)))
        if what == "total":
            assert currency is not None
            orders = orders.filter(currency=currency.upper())
            minor = [money.to_minor(str(v), currency.upper()) for v in value] if isinstance(value, list) \
                else money.to_minor(str(value), currency.upper())
            grouped = orders.annotate(amount=Sum("total")).group_by("customer_id")
            column, value = "amount", minor
        else:
            grouped = orders.annotate(n=Count("id")).group_by("customer_id")
            column = "n"
        matching = self.ids(grouped.filter(**self.plain(column, op, value)))
        # A customer without (such) orders counts 0: include them when 0 satisfies the condition.
        return matching | ~self.ids(orders) if _holds(op, 0, value) else matching

    def custom(self, key: str, op: str, value: Any) -> Q:
        assert KEY.match(key), key  # checked identifiers only ever reach the SQL text
        sample = value[0] if isinstance(value, list) else value
        if op == "is_null":
            expr, sample = self.json_any(key), None
        elif isinstance(sample, bool):
            expr = self.json_bool(key)
            value = "true" if value else "false"
        elif isinstance(sample, int | float):
            expr = self.json_number(key)
        else:
            expr = self.json_text(key)
        rows = scoped(Customer, self.tid).annotate(cf=RawSQL(expr))
        if op == "is_null":
            return ~self.ids(rows.filter(cf__isnull=False), "id")
        return self.ids(rows.filter(cf__isnull=False, **self.plain("cf", op, value)), "id")

    def json_any(self, key: str) -> str:
        if self.dialect == "postgres":
            return f"(\"custom_fields\"->'{key}')"
        return f"json_type(\"custom_fields\", '$.{key}')"

    def json_bool(self, key: str) -> str:
        if self.dialect == "postgres":
            return (f"(CASE WHEN jsonb_typeof(\"custom_fields\"->'{key}') = 'boolean' "
                    f"THEN \"custom_fields\"->>'{key}' END)")
        return (f"(CASE WHEN json_type(\"custom_fields\", '$.{key}') IN ('true', 'false') "
                f"THEN json_type(\"custom_fields\", '$.{key}') END)")

    def json_number(self, key: str) -> str:
        if self.dialect == "postgres":
            return (f"(CASE WHEN jsonb_typeof(\"custom_fields\"->'{key}') = 'number' "
                    f"THEN (\"custom_fields\"->>'{key}')::numeric END)")
        return (f"(CASE WHEN json_type(\"custom_fields\", '$.{key}') IN ('integer', 'real') "
                f"THEN json_extract(\"custom_fields\", '$.{key}') END)")

    def json_text(self, key: str) -> str:
        if self.dialect == "postgres":
            return (f"(CASE WHEN jsonb_typeof(\"custom_fields\"->'{key}') = 'string' "
                    f"THEN \"custom_fields\"->>'{key}' END)")
        return (f"(CASE WHEN json_type(\"custom_fields\", '$.{key}') = 'text' "
                f"THEN json_extract(\"custom_fields\", '$.{key}') END)")


def _holds(op: str, x: int, value: Any) -> bool:
    if op == "eq":
        return bool(x == value)
    if op == "in":
        return x in value
    if op == "between":
        return bool(value[0] <= x <= value[1])
    return {"gt": x > value, "gte": x >= value, "lt": x < value, "lte": x <= value}[op]
