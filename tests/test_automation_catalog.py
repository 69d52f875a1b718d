"""The core's automation interface: declarations collected from modules (clashes named at start-up), and
the condition language's matching, type by type (a pure function: no HTTP needed to prove it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from core import automation, conditions
from core.automation import Action, ActionRun, AutomationContribution, Field, Trigger
from core.registry import Module, RegistryError


async def _noop(run: ActionRun, params: Mapping[str, Any]) -> None:
    return None


ORDER = Trigger("acme.order_placed", "Order placed", (Field("total", "number"),), {"order": "order_id"})
FIRST = AutomationContribution(triggers=[ORDER], actions=[Action("acme.ping", "Ping", "order", (), _noop)])
SAME_TRIGGER = AutomationContribution(triggers=[ORDER])
FOREIGN_ACTION = AutomationContribution(actions=[Action("acme.ping", "Ping", "order", (), _noop)])


def _module(name: str, attr: str) -> Module:
    return Module(name=name, version="1", summary="", package="tests", automation=f"tests.test_automation_catalog:{attr}")


def test_declarations_are_collected_and_clashes_name_both_modules() -> None:
    found = automation.collect([_module("acme", "FIRST")])
    assert found.triggers["acme.order_placed"].module == "acme" and found.actions["acme.ping"].module == "acme"
    with pytest.raises(RegistryError, match="'acme.order_placed' is declared by both 'acme' and 'other'"):
        automation.collect([_module("acme", "FIRST"), _module("other", "SAME_TRIGGER")])
    with pytest.raises(RegistryError, match="must start with 'other.'"):
        automation.collect([_module("other", "FOREIGN_ACTION")])


FIELDS = (Field("to", "enum", choices=("paid", "shipped")), Field("carrier", "string"), Field("count", "number"),
          Field("vip", "boolean"), Field("at", "datetime"), Field("tags", "list"),
          Field("total", "money", key="total_minor"))
DATA = {"to": "shipped", "carrier": "DHL Express", "count": 3, "vip": False, "at": "2026-03-01T10:00:00+00:00",
        "tags": ["Fragile"], "total_minor": 12000, "currency": "EUR"}


@pytest.mark.parametrize(("condition", "expected"), [
    ({"field": "carrier", "op": "eq", "value": "dhl express"}, True),
    ({"field": "carrier", "op": "contains", "value": "express"}, True),
    ({"field": "carrier", "op": "not_in", "value": ["UPS", "dhl express"]}, False),
    ({"field": "count", "op": "gte", "value": 3}, True),
    ({"field": "count", "op": "in", "value": [1, 2]}, False),
    ({"field": "vip", "op": "eq", "value": False}, True),
    ({"field": "at", "op": "gt", "value": "2026-03-01"}, True),
    ({"field": "at", "op": "lt", "value": "2026-03-01T09:59:59Z"}, False),
    ({"field": "tags", "op": "contains", "value": "fragile"}, True),
    ({"field": "tags", "op": "not_contains", "value": "fragile"}, False),
    ({"field": "total", "op": "gt", "value": {"amount": "119.99", "currency": "EUR"}}, True),
    ({"field": "total", "op": "lte", "value": {"amount": "500", "currency": "USD"}}, False),  # another currency
    ({"not": {"field": "to", "op": "eq", "value": "paid"}}, True),
    ({"any": [{"field": "to", "op": "eq", "value": "paid"}, {"field": "count", "op": "lt", "value": 0}]}, False),
])
def test_each_type_matches_as_documented(condition: dict[str, Any], expected: bool) -> None:
    assert conditions.check(condition, FIELDS) == []
    assert conditions.matches(condition, FIELDS, DATA) is expected


def test_a_field_the_event_lacks_matches_only_the_complements_and_is_set_false() -> None:
    lacking = {"to": "paid"}
    assert conditions.matches({"field": "carrier", "op": "eq", "value": "DHL"}, FIELDS, lacking) is False
    assert conditions.matches({"field": "carrier", "op": "ne", "value": "DHL"}, FIELDS, lacking) is True
    assert conditions.matches({"field": "tags", "op": "is_set", "value": False}, FIELDS, lacking) is True
    assert conditions.matches({}, FIELDS, lacking) is True
