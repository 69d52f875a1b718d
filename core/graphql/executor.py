"""A faster way through graphql-core for the fields that are only an attribute.

A list page is mostly leaf fields read straight off an object (`number`, `placedAt`, `amount`):
2,000 to 3,000 of them on a page of 100 customers. For each one graphql-core builds a resolve
info (14 fields), looks at the arguments, calls strawberry's basic-field wrapper, asks twice
whether the result is awaitable and walks `complete_value`'s type checks: about 4 us, a third of
the page's time. Here a field that strawberry itself treats as basic (no resolver, no extension,
no permission class: `_is_default`), with no arguments, whose type is a scalar or an enum (or a
non-null one) is read with getattr and coerced as graphql-core itself coerces a leaf. Anything else, and any value that
does not come out cleanly (None for a non-null field, a serialiser that refuses it, a missing
attribute), goes the ordinary way, which then raises or records the same error as before.
Middleware (a schema extension with a `resolve` hook) turns the short cut off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLEnumType, GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType, Undefined
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# Per field of the schema: (attribute, serialise, non-null), or None when the short cut does not apply;
# kept on the GraphQLField itself (it lives as long as its schema).
Plan = tuple[str, Callable[[Any], Any], bool] | None
_PLAN = "_sellercare_leaf_plan"
_NO_PLAN: Any = object()


def plan_for(field_def: GraphQLField) -> Plan:
    resolve = field_def.resolve
    definition = field_def.extensions.get("strawberry-definition") if field_def.extensions else None
    if (resolve is None or not getattr(resolve, "_is_default", False) or definition is None
            or field_def.args or getattr(definition, "default_resolver", getattr) is not getattr):
        return None
    field_type, non_null = field_def.type, False
    if isinstance(field_type, GraphQLNonNull):
        field_type, non_null = field_type.of_type, True
    if not isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
        return None
    # graphql-core's own completion calls coerce_output_value (serialize in older releases)
    coerce = getattr(field_type, "coerce_output_value", None) or field_type.serialize
    return str(definition.python_name), coerce, non_null


class FastLeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, with basic leaf fields read directly (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # strawberry always passes a manager: an empty one wraps nothing.
        manager = self.middleware_manager
        self.leaves_direct = manager is None or not manager.middlewares

    def execute_field(self, parent_type: GraphQLObjectType, source: Any, field_details_list: FieldDetailsList,
                      path: Path, position_context: Any) -> Any:
        node = field_details_list[0].node
        field_def = parent_type.fields.get(node.name.value)  # (meta fields such as __typename: None)
        if field_def is not None and self.leaves_direct and not node.arguments:
            plan = getattr(field_def, _PLAN, _NO_PLAN)
            if plan is _NO_PLAN:
                plan = plan_for(field_def)
                setattr(field_def, _PLAN, plan)
            if plan is not None:
                name, serialize, non_null = plan
                value = getattr(source, name, Undefined)
                if value is None and not non_null:
                    return None
                if value is not None and value is not Undefined:
                    try:
                        result = serialize(value)
                    except Exception:  # noqa: BLE001 - the ordinary way reports it as graphql-core does
                        result = None
                    if result is not None and result is not Undefined:
                        return result
        return super().execute_field(parent_type, source, field_details_list, path, position_context)
