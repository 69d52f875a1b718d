"""A small declarative condition language over typed fields: checked on save, matched in Python, never eval'd.

A condition is a group or a leaf:
- `{"all": [c, ...]}`, `{"any": [c, ...]}` (one or more each), `{"not": c}`;
- `{"field": name, "op": op, "value": v}` where `name` is one of the declared fields (core.automation.Field).

Ops per field type (OPS); `ne`, `not_in` and `not_contains` are the exact complements of `eq`, `in`
and `contains`, so a value the data lacks matches them; `is_set` takes true or false. Values:
- string: text, compared without regard to case; enum: one of the field's choices;
- number: a number; boolean: true or false; list (of strings): `contains` one string, any case;
- datetime: an ISO date (midnight UTC) or date-time; a string that is neither is refused;
- money: `{"amount": "100", "currency": "EUR"}`; data in another currency never matches.

Every mistake is returned at once, each with its path (`["conditions", "all", "1", "op"]`), in the
"core" gettext domain. At most MAX_CONDITIONS leaves and MAX_DEPTH nested groups.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from core import money, validation
from core.automation import Field
from core.errors import UserFacingError
from core.graphql.node import node_id_of
from core.i18n import N_

MAX_DEPTH = 5
MAX_CONDITIONS = 50
MAX_LIST = 100
MAX_TEXT = 1000
MAX_NUMBER = 10**15

OPS: dict[str, tuple[str, ...]] = {
    "string": ("eq", "ne", "in", "not_in", "contains", "not_contains", "is_set"),
    "enum": ("eq", "ne", "in", "not_in", "is_set"),
    "number": ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "is_set"),
    "boolean": ("eq", "ne", "is_set"),
    "datetime": ("gt", "gte", "lt", "lte", "is_set"),
    "money": ("eq", "ne", "gt", "gte", "lt", "lte", "is_set"),
    "list": ("contains", "not_contains", "is_set"),
}
GROUPS = ("all", "any", "not")
COMPLEMENT = {"ne": "eq", "not_in": "in", "not_contains": "contains"}


def error(code: str, message: str, path: Sequence[str], **params: object) -> UserFacingError:
    return UserFacingError(code, message, field=list(path), params=params)


# --- Groups: the shape every condition tree shares (these rules, crm's segment rules) -------------

Leaf = Callable[[dict[str, Any], list[str]], list[UserFacingError]]


@dataclass(frozen=True)
class Vocabulary:
    """The codes and msgids a tree's shape errors are reported with, in `domain`: a module whose API
    already names them otherwise (crm's segment rules: INVALID_RULE, RULE_TOO_DEEP) keeps its own."""

    invalid: str = "INVALID_CONDITION"
    not_an_object: str = N_("A condition is an object: all, any, not, or a field test.")
    one_key: str = N_("A group has exactly one key: all, any or not.")
    empty: str = N_("List one or more conditions.")
    too_deep: str = "CONDITIONS_TOO_DEEP"
    too_deep_message: str = N_("Groups nest at most {max} deep.")
    too_large: str = "CONDITIONS_TOO_LARGE"
    too_large_message: str = N_("At most {max} conditions.")
    domain: str = "core"

    def error(self, code: str, message: str, path: Sequence[str], **params: object) -> UserFacingError:
        return UserFacingError(code, message, field=list(path), params=params, domain=self.domain)


CONDITIONS = Vocabulary()


def check_tree(node: Any, leaf: Leaf, path: Sequence[str], words: Vocabulary = CONDITIONS) -> list[UserFacingError]:
    """Every mistake in a tree of groups, each leaf checked by `leaf(node, path)`."""
    errors: list[UserFacingError] = []
    count = [0]
    _walk(node, leaf, list(path), 0, errors, count, words)
    if count[0] > MAX_CONDITIONS:
        errors.append(words.error(words.too_large, words.too_large_message, path, max=MAX_CONDITIONS))
    return errors


def _walk(node: Any, leaf: Leaf, path: list[str], depth: int, errors: list[UserFacingError],
          count: list[int], words: Vocabulary) -> None:
    if not isinstance(node, dict):
        errors.append(words.error(words.invalid, words.not_an_object, path))
        return
    groups = [k for k in GROUPS if k in node]
    if not groups:
        count[0] += 1
        errors.extend(leaf(node, path))
        return
    if len(node) != 1:
        errors.append(words.error(words.invalid, words.one_key, path))
        return
    key = groups[0]
    if depth >= MAX_DEPTH:
        errors.append(words.error(words.too_deep, words.too_deep_message, [*path, key], max=MAX_DEPTH))
        return
    if key == "not":
        _walk(node["not"], leaf, [*path, "not"], depth + 1, errors, count, words)
        return
    items = node[key]
    if not isinstance(items, list) or not items:
        errors.append(words.error(words.invalid, words.empty, [*path, key]))
        return
    for i, item in enumerate(items):
        if count[0] > MAX_CONDITIONS:
            return
        _walk(item, leaf, [*path, key, str(i)], depth + 1, errors, count, words)


def leaves(node: Any) -> list[dict[str, Any]]:
    """Every leaf of a tree, in order (a malformed part is skipped: check the tree first)."""
    if not isinstance(node, dict):
        return []
    if not any(k in node for k in GROUPS):
        return [node]
    found: list[dict[str, Any]] = []
    for key in ("all", "any"):
        items = node.get(key)
        for item in items if isinstance(items, list) else []:
            found += leaves(item)
    if "not" in node:
        found += leaves(node["not"])
    return found


def evaluate_tree(node: dict[str, Any], leaf: Callable[[dict[str, Any]], bool]) -> bool:
    """Whether a checked tree holds, each leaf decided by `leaf`."""
    if "all" in node:
        return all(evaluate_tree(n, leaf) for n in node["all"])
    if "any" in node:
        return any(evaluate_tree(n, leaf) for n in node["any"])
    if "not" in node:
        return not evaluate_tree(node["not"], leaf)
    return leaf(node)


# --- Values -------------------------------------------------------------------------------------

def parse_moment(value: Any) -> datetime | None:
    """An ISO date-time (UTC when naive) or an ISO date (its midnight, UTC); None otherwise."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def check_value(f: Field, value: Any, path: Sequence[str]) -> Any:
    """The value, normalised, when it fits the field's type; a UserFacingError at `path` otherwise."""
    kind = f.type
    if kind in ("string", "list"):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise error("INVALID_VALUE", N_("A text of 1 to {max} characters."), path, max=MAX_TEXT)
        return value.strip()
    if kind == "enum":
        if value not in f.choices:
            raise error("INVALID_VALUE", N_("Choose one of: {choices}."), path, choices=", ".join(f.choices))
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not -MAX_NUMBER <= value <= MAX_NUMBER:
            raise error("INVALID_VALUE", N_("A number from -{max} to {max}."), path, max=MAX_NUMBER)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise error("INVALID_VALUE", N_("true or false."), path)
        return value
    if kind == "datetime":
        if parse_moment(value) is None:
            raise error("INVALID_VALUE", N_("An ISO date (2024-05-31) or date-time (2024-05-31T09:00:00Z)."),
                        path)
        return value
    if kind == "money":
        if not isinstance(value, dict) or set(value) != {"amount", "currency"} \
                or not isinstance(value["currency"], str) or not isinstance(value["amount"], str | int | float) \
                or isinstance(value["amount"], bool):
            raise error("INVALID_VALUE", N_('An amount with its currency: {"amount": "100", "currency": "EUR"}.'),
                        path)
        currency = validation.currency(value["currency"], [*path, "currency"])
        minor = money.to_minor(str(value["amount"]), currency, [*path, "amount"])
        return {"amount": str(money.to_decimal(minor, currency)), "currency": currency}
    if kind == "node":
        if not isinstance(value, str) or node_id_of(value, f.node_type) is None:
            raise error("INVALID_VALUE", N_("The ID of a {type}."), path, type=f.node_type)
        return value
    raise error("INVALID_VALUE", N_("This value does not fit the field."), path)


# --- Leaves over declared fields ------------------------------------------------------------------

def check(rule: Any, fields: Sequence[Field], path: Sequence[str] = ("conditions",)) -> list[UserFacingError]:
    """Every mistake of a condition tree over these fields (empty: the rule can be saved); {} always holds."""
    if rule == {}:
        return []
    by_name = {f.name: f for f in fields}

    def leaf(node: dict[str, Any], at: list[str]) -> list[UserFacingError]:
        extra = sorted(set(node) - {"field", "op", "value"})
        if extra:
            return [error("INVALID_CONDITION", N_("Unknown key {key} in a condition."), [*at, extra[0]],
                          key=extra[0])]
        name, op = node.get("field"), node.get("op")
        f = by_name.get(name) if isinstance(name, str) else None
        if f is None:
            return [error("UNKNOWN_FIELD", N_("Unknown field {field}; this trigger has: {fields}."), [*at, "field"],
                          field=str(name), fields=", ".join(by_name))]
        ops = OPS.get(f.type, ())
        if op not in ops:
            return [error("UNKNOWN_OP", N_("{field} takes one of: {ops}."), [*at, "op"], field=f.name,
                          ops=", ".join(ops))]
        if "value" not in node:
            return [error("INVALID_VALUE", N_("A condition needs a value."), [*at, "value"])]
        try:
            _check_operand(f, op, node["value"], [*at, "value"])
        except UserFacingError as exc:
            return [exc]
        return []

    return check_tree(rule, leaf, path)


def _check_operand(f: Field, op: str, value: Any, path: list[str]) -> None:
    if op == "is_set":
        if not isinstance(value, bool):
            raise error("INVALID_VALUE", N_("is_set takes true or false."), path)
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > MAX_LIST:
            raise error("INVALID_VALUE", N_("List 1 to {max} values."), path, max=MAX_LIST)
        for i, item in enumerate(value):
            check_value(f, item, [*path, str(i)])
    else:
        check_value(f, value, path)


def matches(rule: dict[str, Any], fields: Sequence[Field], data: Mapping[str, Any]) -> bool:
    """Whether an event's payload meets a checked condition tree ({} matches everything)."""
    if not rule:
        return True
    by_name = {f.name: f for f in fields}
    return evaluate_tree(rule, lambda node: _holds(by_name[node["field"]], node["op"], node["value"], data))


def _holds(f: Field, op: str, wanted: Any, data: Mapping[str, Any]) -> bool:
    actual = data.get(f.payload_key)
    if op == "is_set":
        present = actual is not None and actual != [] and actual != ""
        return present is wanted
    if op in COMPLEMENT:
        return not _holds(f, COMPLEMENT[op], wanted, data)
    if actual is None:
        return False
    if f.type == "money":
        if data.get(f.currency_key) != wanted["currency"] or isinstance(actual, bool) or not isinstance(actual, int):
            return False
        return _compare(op, actual, money.to_minor(wanted["amount"], wanted["currency"]))
    if f.type == "datetime":
        at, bound = parse_moment(actual), parse_moment(wanted)
        return at is not None and bound is not None and _compare(op, at, bound)
    if f.type == "list":
        items = actual if isinstance(actual, list) else []
        return str(wanted).casefold() in {str(i).casefold() for i in items}
    if f.type == "string":
        text = str(actual).casefold()
        if op == "contains":
            return str(wanted).casefold() in text
        if op == "in":
            return text in {str(v).casefold() for v in wanted}
        return text == str(wanted).casefold()
    if op == "in":
        return actual in wanted
    return _compare(op, actual, wanted)


COMPARE: dict[str, Callable[[Any, Any], Any]] = {"eq": operator.eq, "gt": operator.gt, "gte": operator.ge,
                                                 "lt": operator.lt, "lte": operator.le}


def _compare(op: str, actual: Any, wanted: Any) -> bool:
    try:
        return bool(COMPARE[op](actual, wanted))
    except TypeError:  # a payload value of another type than declared: it does not match
        return False
