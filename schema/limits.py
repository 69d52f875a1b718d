"""Query cost limit and, in production, no field suggestions in error messages.

Cost, close to how Shopify and GitHub count it: the objects a query can make the server fetch. A
field that selects fields (an object, a list, a connection) costs 1 plus what it selects, and that
times its `first` or `last` argument when it has one (the maximum page size when it is a
variable); a scalar costs nothing, since it comes with its object's row. Fragments are expanded.
So `customers(first: 100)` with each customer's addresses and `orders(first: 5)` with their totals
costs about 2,900, within the default 5,000, while `customers(first: 100) { orders(first: 100) { ... } }`
(10,000 orders) is refused before it runs. (Counting every scalar as 1 refused the first page a
frontend asks for, at 5,001.)
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from core.i18n import N_, translate

TOO_EXPENSIVE = N_("The query is too expensive: cost {cost} exceeds the limit of {max}.")


def cost_rule(max_cost: int, default_first: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext):
            super().__init__(context)
            self.fragments: dict[str, FragmentDefinitionNode] = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }

        def _cost(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
            if selection_set is None:
                return 0
            total = 0
            for sel in selection_set.selections:
                if isinstance(sel, FieldNode):
                    if sel.selection_set is None:
                        continue  # a scalar: it comes with its object's row
                    multiplier = 1
                    for arg in sel.arguments or ():
                        if arg.name.value in ("first", "last"):
                            value = arg.value
                            multiplier = (
                                int(value.value) if isinstance(value, IntValueNode) else default_first
                            )
                    total += max(multiplier, 1) * (1 + self._cost(sel.selection_set, seen))
                elif isinstance(sel, InlineFragmentNode):
                    total += self._cost(sel.selection_set, seen)
                elif isinstance(sel, FragmentSpreadNode):
                    name = sel.name.value
                    if name in seen or name not in self.fragments:
                        continue  # cycles and unknown fragments are reported by other rules
                    total += self._cost(self.fragments[name].selection_set, seen | {name})
                if total > max_cost:
                    return total
            return total

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = self._cost(node.selection_set, frozenset())
            if cost > max_cost:
                params = {"cost": cost, "max": max_cost}
                error = GraphQLError(TOO_EXPENSIVE.format(**params), node,
                                     extensions={"code": "QUERY_TOO_EXPENSIVE"})
                error.msgid, error.params = TOO_EXPENSIVE, params  # type: ignore[attr-defined]
                self.report_error(error)

    return CostLimit


_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


def localize_errors(errors: list[GraphQLError], locale: str, hide_suggestions: bool) -> list[GraphQLError]:
    """Our validation errors in the caller's language; in production, without graphql-core's
    "Did you mean ...?" hints, which leak the schema.

    Validation results are cached and shared across requests: errors are copied, never changed.
    """
    result = []
    for error in errors:
        message = error.message
        msgid = getattr(error, "msgid", None)
        if msgid:
            message = translate("core", msgid, locale, **error.params)  # type: ignore[attr-defined]
        if hide_suggestions:
            message = _SUGGESTION.sub("", message)
        if message != error.message:
            error = GraphQLError(message, error.nodes, error.source, error.positions, error.path,
                                 error.original_error, error.extensions)
        result.append(error)
    return result
