"""Query cost limit and, in production, no field suggestions in error messages.

Cost, close to how Shopify and GitHub count it: the objects a query can make the server fetch. A
field that selects fields (an object, a list, a connection) costs 1 plus what it selects, and that
times its `first` or `last` argument when it has one (for `first: $n`, the value sent for `$n`; the
maximum page size when none is); a scalar costs nothing, since it comes with its object's row.
Fragments are expanded. So `customers(first: 100)` with each customer's addresses and
`orders(first: 5)` with their totals costs about 2,900, within the default 5,000, while
`customers(first: 100) { orders(first: 100) { ... } }` (10,000 orders) is refused before it runs.
(Counting every scalar as 1 refused the first page a frontend asks for, at 5,001.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from core.i18n import N_, translate

TOO_EXPENSIVE = N_("The query is too expensive: cost {cost} exceeds the limit of {max}.")


def query_cost(document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None,
               default_first: int, stop_above: int) -> int:
    """The cost of the operation that runs (the named one, or the only one); counting stops once it
    passes `stop_above`. `first: $n` counts the value sent for `$n` when it is an integer."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    values = variables or {}

    def multiplier(field: FieldNode) -> int:
        for arg in field.arguments or ():
            if arg.name.value in ("first", "last"):
                value = arg.value
                if isinstance(value, IntValueNode):
                    return max(int(value.value), 1)
                if isinstance(value, VariableNode):
                    sent = values.get(value.name.value)
                    if isinstance(sent, int) and not isinstance(sent, bool):
                        return max(sent, 1)
                return default_first
        return 1

    def cost(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        total = 0
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                if sel.selection_set is not None:  # a scalar comes with its object's row: free
                    total += multiplier(sel) * (1 + cost(sel.selection_set, seen))
            elif isinstance(sel, InlineFragmentNode):
                total += cost(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name not in seen and name in fragments:  # cycles, unknown names: other rules
                    total += cost(fragments[name].selection_set, seen | {name})
            if total > stop_above:
                return total
        return total

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    return max((cost(o.selection_set, frozenset()) for o in chosen[:1]), default=0)


def cost_limit(max_cost: int, default_first: int) -> type[SchemaExtension]:
    """Refuses, before anything runs, an operation whose cost exceeds `max_cost`. An extension, not
    a validation rule, because it needs the variables (`first: $n`), which validation (cached per
    document) never sees; it runs after the validation cache, only on a valid document."""

    class CostLimit(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.pre_execution_errors == [] and context.graphql_document is not None:
                cost = query_cost(context.graphql_document, context.operation_name, context.variables,
                                  default_first, max_cost)
                if cost > max_cost:
                    params = {"cost": cost, "max": max_cost}
                    error = GraphQLError(TOO_EXPENSIVE.format(**params), extensions={"code": "QUERY_TOO_EXPENSIVE"})
                    error.msgid, error.params = TOO_EXPENSIVE, params  # type: ignore[attr-defined]
                    context.pre_execution_errors = [error]  # a new list: the cached one is shared
            yield

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
