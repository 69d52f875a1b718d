"""What the priority and routing rule mutations share: the conditions input (checked by
services/routing/conditions.py), the save payload, delete and reorder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from core.auth.principal import Principal
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import ScopedNode, decode_id, to_global_id
from modules.aftersales.services.routing.conditions import UNSET, ConditionsInput, MinAmount

P = TypeVar("P")


@strawberry.input
class MinAmountInput:
    amount: Decimal = strawberry.field(description="In major units of the currency, e.g. 500 or 99.90.")
    currency: str


@strawberry.input(description="Every condition given must hold; omit one to not filter on it.")
class RuleConditionsInput:
    types: list[str] | None = None
    channels: list[str] | None = None
    languages: list[str] | None = strawberry.field(default=None, description="BCP 47; `de` matches `de-AT`.")
    countries: list[str] | None = strawberry.field(default=None, description="The customer's (ISO 3166).")
    tiers: list[str] | None = strawberry.field(default=None, description="The customer's tier.")
    min_order_total: MinAmountInput | None = None
    keywords: list[str] | None = strawberry.field(
        default=None, description="Priority rules only: whole words in the subject or body, any case.")


def to_conditions(given: RuleConditionsInput | None) -> ConditionsInput:
    if given is None:
        return ConditionsInput()
    total = given.min_order_total
    return ConditionsInput(
        types=given.types, channels=given.channels, languages=given.languages, countries=given.countries,
        tiers=given.tiers, keywords=given.keywords,
        min_order_total=MinAmount(str(total.amount), total.currency) if total else None)


def kept(value: Any, nullable: bool = False) -> Any:
    """An omitted input field (strawberry.UNSET), or null for a field that cannot be empty, becomes
    the services' UNSET: "leave it as it is"."""
    return UNSET if value is strawberry.UNSET or (value is None and not nullable) else value


def updated_conditions(given: RuleConditionsInput | None) -> Any:
    """An update's conditions: UNSET when omitted, else converted as on create (null: no conditions)."""
    conditions = kept(given, nullable=True)
    return conditions if conditions is UNSET else to_conditions(conditions)


async def save_rule(info: Info, call: Awaitable[Any], node_type: type[ScopedNode], payload: Callable[..., P]) -> P:
    """create/update of either kind of rule: the saved rule as `node_type`, or the errors."""
    row, errors = await attempt(info, call)
    return payload(rule=node_type.from_row(row) if row else None, errors=errors)


@strawberry.input
class DeleteRuleInput:
    id: strawberry.ID


@strawberry.input(description="Every rule of the list, in the order they are tried.")
class ReorderRulesInput:
    ids: list[strawberry.ID]


@strawberry.type
class DeleteRulePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def delete_rule(info: Info, node_id: strawberry.ID, node_type: type[ScopedNode],
                      delete: Callable[[Principal, int], Awaitable[None]]) -> DeleteRulePayload:
    """deletePriorityRule and deleteRoutingRule: the same steps over their own service."""
    async def run() -> strawberry.ID:
        pk = decode_id(node_id, node_type, "id")
        await delete(info.context.require_principal(), pk)
        return to_global_id(node_type, pk)
    deleted, errors = await attempt(info, run())
    return DeleteRulePayload(deleted_id=deleted, errors=errors)


async def reorder_rules(info: Info, ids: list[strawberry.ID], node_type: type[ScopedNode],
                        reorder: Callable[[Principal, list[int]], Awaitable[list[Any]]], payload: Callable[..., P]
                        ) -> P:
    """reorderPriorityRules and reorderRoutingRules: every rule in its new order, or the errors."""
    async def run() -> list[Any]:
        return await reorder(info.context.require_principal(), [decode_id(i, node_type, "ids") for i in ids])
    rows, errors = await attempt(info, run())
    return payload(rules=[node_type.from_row(r) for r in rows or []], errors=errors)
