"""The module contract: discovery, dependency order, schema composition and its errors."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from core.graphql.permissions import Public, Requires
from core.registry import GraphQLContribution, Module, Registry, RegistryError, WorkerContribution
from schema.builder import build_schema
from workers.settings import compose


def mod(name: str, *depends: str, graphql: str | None = None, worker: str | None = None) -> Module:
    return Module(name=name, version="1.0", summary=name, package="tests", depends=depends,
                  graphql=graphql, worker=worker, has_models=False)


def test_builtin_modules_are_found_through_the_entry_point() -> None:
    registry = Registry.discover()
    assert "team" in registry.modules
    assert registry["team"].package == "modules.team"


def test_dependencies_resolve_in_order_and_errors_name_the_modules() -> None:
    registry = Registry([mod("a"), mod("b", "a"), mod("c", "b", "a")])
    assert [m.name for m in registry.resolve(["c"])] == ["a", "b", "c"]
    with pytest.raises(RegistryError, match="'d' depends on 'zz'"):
        Registry([mod("d", "zz")]).resolve(["d"])
    with pytest.raises(RegistryError, match="cycle"):
        Registry([mod("x", "y"), mod("y", "x")]).resolve(["x"])
    with pytest.raises(RegistryError, match="two modules are named 'a'"):
        Registry([mod("a"), mod("a")])
    assert Registry([mod("a"), mod("b", "a"), mod("c", "b")]).dependents("a", ["a", "b", "c"]) == ["b", "c"]


@strawberry.type
class QueryA:
    @strawberry.field(permission_classes=[Public])
    def hello(self) -> str:
        return "a"


@strawberry.type
class QueryB:
    @strawberry.field(permission_classes=[Public])
    def hello(self) -> str:
        return "b"


@strawberry.type
class Unguarded:
    @strawberry.field
    def secret(self) -> str:
        return "s"


@strawberry.type
class Widget:
    name: str


@strawberry.type
class WidgetQuery:
    @strawberry.field(permission_classes=[Requires("tests.widget", "read")])
    def widget(self) -> Widget:
        return Widget(name="w")


@strawberry.type
class WidgetExtras:
    @strawberry.field
    def colour(self, info: Info) -> str:
        return "red"


a = GraphQLContribution(queries=[QueryA])
b = GraphQLContribution(queries=[QueryB])
unguarded = GraphQLContribution(queries=[Unguarded])
widgets = GraphQLContribution(queries=[WidgetQuery], types=[Widget])
extras = GraphQLContribution(extends={"Widget": [WidgetExtras]})
bad_extras = GraphQLContribution(extends={"Gadget": [WidgetExtras]})


def test_a_field_defined_twice_names_both_modules(rt: Any) -> None:
    with pytest.raises(RegistryError, match="Query.hello is defined by both 'alpha' and 'beta'"):
        build_schema([mod("alpha", graphql="tests.test_registry:a"),
                      mod("beta", graphql="tests.test_registry:b")], rt.settings)


def test_a_root_field_without_permission_refuses_to_build(rt: Any) -> None:
    with pytest.raises(RegistryError, match="Query.secret of module 'leaky' declares no permission"):
        build_schema([mod("leaky", graphql="tests.test_registry:unguarded")], rt.settings)


def test_every_root_field_of_the_real_schema_declares_a_permission(rt: Any) -> None:
    schema = build_schema(rt.modules, rt.settings)
    for root in ("Query", "Mutation"):
        definition = schema.get_type_by_name(root)
        for field in definition.fields:  # type: ignore[union-attr]
            assert field.permission_classes, f"{root}.{field.name}"


async def test_a_module_extends_a_type_it_does_not_own(rt: Any) -> None:
    modules = [mod("widgets", graphql="tests.test_registry:widgets"),
               mod("paint", "widgets", graphql="tests.test_registry:extras")]
    schema = build_schema(modules, rt.settings)
    assert "colour" in str(schema)
    build_schema(modules, rt.settings)  # composing again is a no-op, not a clash
    without = build_schema(modules[:1], rt.settings)  # the extending module is gone: so is its field
    assert "colour" not in str(without) and "widget" in str(without)
    assert "colour" in str(build_schema(modules, rt.settings))
    with pytest.raises(RegistryError, match="extends GraphQL type 'Gadget'"):
        build_schema([mod("oops", graphql="tests.test_registry:bad_extras")], rt.settings)


async def job_ok(ctx: dict[str, Any]) -> None:
    return None


named_ok = WorkerContribution(functions=[job_ok])


def test_job_names_are_prefixed_by_their_module() -> None:
    from arq import func

    good = WorkerContribution(functions=[func(job_ok, name="jobs.job_ok")])
    globals()["good_jobs"] = good
    plan = compose([mod("jobs", worker="tests.test_registry:good_jobs")])
    assert "jobs.job_ok" in {f.name for f in plan.functions}
    with pytest.raises(RegistryError, match="must start with 'jobs.'"):
        compose([mod("jobs", worker="tests.test_registry:named_ok")])
