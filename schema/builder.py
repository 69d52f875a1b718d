"""Compose one strawberry schema from the installed modules.

- Root fields (query, mutation, subscription) of all modules are merged; a name defined twice is
  a start-up error naming both modules (strawberry's `merge_types` would only warn).
- `GraphQLContribution.extends` adds fields to a type another module owns, before the schema is
  built: the owner never imports the extender.
- Every root field must carry a sellercare permission class, or the schema does not build.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from core.errors import is_client_error
from core.graphql.executor import FastLeafExecutor
from core.graphql.node import ScopedNode
from core.graphql.permissions import SellercarePermission
from core.outage import UNAVAILABLE, is_outage
from core.registry import Module, RegistryError
from core.settings import Settings
from schema.error_log import log_errors
from schema.input_text import LiteralTextRule, VariableText
from schema.limits import cost_limit
from schema.nested_permissions import guard_nested_fields
from schema.root import CoreQuery


def _definition(cls: type) -> StrawberryObjectDefinition:
    definition = getattr(cls, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryObjectDefinition):
        raise RegistryError(f"{cls!r} is not a strawberry type")
    return definition


def _merge_root(
    name: str, parts: Sequence[tuple[str, type]]
) -> type | None:
    owners: dict[str, str] = {}
    fields: list[StrawberryField] = []
    for owner, cls in parts:
        for field in _definition(cls).fields:
            if field.python_name in owners or field.name in owners:
                raise RegistryError(
                    f"GraphQL field {name}.{field.name} is defined by both "
                    f"{owners.get(field.python_name) or owners.get(field.name)!r} and {owner!r}"
                )
            if not any(issubclass(p, SellercarePermission) for p in field.permission_classes):
                raise RegistryError(
                    f"GraphQL field {name}.{field.name} of module {owner!r} declares no "
                    "permission: use Requires(resource, action), Authenticated or Public"
                )
            owners[field.python_name] = owners[field.name] = owner
            fields.append(field)
    if not fields:
        return None
    namespace: dict[str, Any] = {"__annotations__": {}}
    for field in fields:
        namespace[field.python_name] = copy.copy(field)
    return strawberry.type(type(name, (), namespace))


def _drop_stale_extensions(modules: Sequence[Module], types: dict[str, tuple[str, type]]) -> None:
    """Strawberry types are shared classes: fields added by a module that is not in this build
    (an earlier build's, in tests or after an uninstall) are taken off again."""
    present = {m.name for m in modules}
    for _, cls in types.values():
        added_by: dict[str, str] = cls.__dict__.get("_sellercare_added", {})
        stale = {name for name, module in added_by.items() if module not in present}
        if stale:
            definition = _definition(cls)
            definition.fields = [f for f in definition.fields if f.name not in stale]
            for name in stale:
                del added_by[name]


def _apply_extensions(modules: Sequence[Module], types: dict[str, tuple[str, type]]) -> None:
    _drop_stale_extensions(modules, types)
    for module in modules:
        for target, extras in module.load_graphql().extends.items():
            if target not in types:
                raise RegistryError(
                    f"module {module.name!r} extends GraphQL type {target!r}, which no "
                    "installed module defines"
                )
            owner, cls = types[target]
            definition = _definition(cls)
            # Remember what was added, so composing the schema again (tests, reloads) is a no-op.
            added_by: dict[str, str] = cls.__dict__.get("_sellercare_added", {})
            cls._sellercare_added = added_by  # type: ignore[attr-defined]
            existing = {f.name: added_by.get(f.name, owner) for f in definition.fields}
            for extra in extras:
                for field in _definition(extra).fields:
                    if added_by.get(field.name) == module.name:
                        continue
                    if field.name in existing:
                        raise RegistryError(
                            f"GraphQL field {target}.{field.name} is defined by both "
                            f"{existing[field.name]!r} and {module.name!r}"
                        )
                    added = copy.copy(field)
                    added.origin = cls
                    definition.fields.append(added)
                    existing[field.name] = added_by[field.name] = module.name


class _ParserCache(ParserCache):
    """strawberry's ParserCache parses in its hook, outside the `try` that turns a parse error (bad
    syntax, too many tokens) into a GraphQL error: over HTTP an outer handler still catches it, but
    over websockets (`Schema._stream`) it escapes and the operation dies without a message. On a
    parse error the document is left unset, so strawberry parses again inside its own handling and
    answers properly; only failing documents are parsed twice."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield


INTERNAL_ERROR = "Internal error."  # what a client sees of an unexpected error


class _MaskErrors(MaskErrors):
    """Unexpected errors become "Internal error."; an unreachable database or Redis becomes a coded,
    retryable SERVICE_UNAVAILABLE instead (translated with the other errors)."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if not is_outage(error.original_error):
            return super().anonymise_error(error)
        unavailable = GraphQLError(UNAVAILABLE, error.nodes, error.source, error.positions, error.path,
                                   extensions={"code": "SERVICE_UNAVAILABLE", "retryable": True})
        unavailable.msgid, unavailable.params = UNAVAILABLE, {}  # type: ignore[attr-defined]
        return unavailable


class SellercareSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("execution_context_class", FastLeafExecutor)  # leaf fields read directly
        super().__init__(*args, **kwargs)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors, execution_context)  # strawberry's own logs the document and messages


@dataclass(frozen=True)
class Limits:
    """What one operation may ask of a GraphQL API before anything runs."""

    depth: int
    aliases: int
    tokens: int
    cost: int
    page_size: int  # what `first` counts as when the query does not say (the cost's multiplier)

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The staff API's limits (MAX_QUERY_DEPTH, MAX_ALIASES, MAX_TOKENS, MAX_COST, MAX_PAGE_SIZE)."""
        return cls(settings.max_query_depth, settings.max_aliases, settings.max_tokens, settings.max_cost,
                   settings.max_page_size)


def hardening(limits: Limits, production: bool) -> list[Any]:
    """The extensions every sellercare GraphQL schema runs (the staff API's, the buyers' portal's):
    token, depth, alias and cost limits, the parser and validation caches, forbidden characters in
    text, unexpected errors masked, and no introspection in production."""
    # The validation rules are built once: the validation cache is keyed by them, so rules made
    # per request (what QueryDepthLimiter and MaxAliasesLimiter do) would never hit it.
    rules: list[Any] = [
        depth_validator(limits.depth, None, None),
        alias_validator(limits.aliases),
        LiteralTextRule,
    ]
    # Factories: each request gets fresh extension instances (the parser and validation caches
    # live at module level in strawberry, shared across requests).
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.tokens),
        lambda: AddValidationRules(rules),
        lambda: _ParserCache(maxsize=1_000),
        lambda: ValidationCache(maxsize=1_000),
        cost_limit(limits.cost, limits.page_size),  # after the cache: it sees its result
        VariableText,
        lambda: _MaskErrors(should_mask_error=lambda e: not is_client_error(e),
                            error_message=INTERNAL_ERROR),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return extensions


def build_schema(modules: Sequence[Module], settings: Settings) -> strawberry.Schema:
    queries: list[tuple[str, type]] = [("core", CoreQuery)]
    mutations: list[tuple[str, type]] = []
    subscriptions: list[tuple[str, type]] = []
    types: dict[str, tuple[str, type]] = {}
    for module in modules:
        contribution = module.load_graphql()
        queries += [(module.name, c) for c in contribution.queries]
        mutations += [(module.name, c) for c in contribution.mutations]
        subscriptions += [(module.name, c) for c in contribution.subscriptions]
        for cls in contribution.types:
            name = _definition(cls).name
            if name in types and types[name][1] is not cls:
                raise RegistryError(
                    f"GraphQL type {name} is defined by both {types[name][0]!r} and {module.name!r}"
                )
            types[name] = (module.name, cls)
    _apply_extensions(modules, types)

    schema = SellercareSchema(
        query=_merge_root("Query", queries),
        mutation=_merge_root("Mutation", mutations),
        subscription=_merge_root("Subscription", subscriptions),
        types=[cls for _, cls in types.values()],
        extensions=hardening(Limits.of(settings), settings.production),
    )
    guard_nested_fields(schema._schema)
    return schema


def node_types(schema: strawberry.Schema) -> list[type[ScopedNode]]:
    """Every Node type in the schema: the tenancy test walks all of them, present and future."""
    found = []
    for graphql_type in schema._schema.type_map.values():
        definition = getattr(graphql_type, "extensions", {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if isinstance(origin, type) and issubclass(origin, ScopedNode) and origin is not ScopedNode:
            found.append(origin)
    return found
