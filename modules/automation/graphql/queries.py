"""rules, ruleFirings, the declared automationTriggers and automationActions, and testRule (the dry run)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core import automation
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, decode_query_id
from core.graphql.pagination import Connection, Ordering, page_size, paginate
from core.graphql.permissions import Requires
from core.tenancy import scoped
from modules.automation import models
from modules.automation.graphql.inputs import RuleActionInput, change_of
from modules.automation.graphql.types import (
    CONDITIONS_HELP,
    ActionType,
    RuleFiringType,
    RuleType,
    TriggerType,
    TryType,
    steps,
)
from modules.automation.services import dry_run, rules

READ = [Requires("automation.rule", "read")]


@strawberry.input(description="A saved rule (ruleId), changed by any other field given, or a rule given whole.")
class TestRuleInput:
    rule_id: strawberry.ID | None = None
    trigger: str | None = strawberry.UNSET
    conditions: JSON | None = strawberry.field(default=strawberry.UNSET, description=CONDITIONS_HELP)
    actions: list[RuleActionInput] | None = strawberry.UNSET
    last: int = strawberry.field(default=20, description=f"How many of the newest events (1 to "
                                                         f"{dry_run.MAX_EVENTS}).")


@strawberry.type
class TestRulePayload:
    results: list[TryType] = strawberry.field(default_factory=list, description="Newest event first.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AutomationQuery:
    @strawberry.field(permission_classes=READ, description="The account's rules, in the order they run.")
    async def rules(self, info: Info, first: int | None = None, after: str | None = None,
                    trigger: str | None = None) -> Connection[RuleType]:
        ctx = info.context
        s = ctx.rt.settings
        query = scoped(models.Rule, ctx.tenant_id)
        if trigger is not None:
            query = query.filter(trigger=trigger)
        return await paginate(query, first=page_size(first, s.default_page_size, s.max_page_size, ctx.locale),
                              after=after, ordering=Ordering("position"), to_node=RuleType.from_row,
                              locale=ctx.locale)

    @strawberry.field(permission_classes=READ, description="A rule's firings, newest first.")
    async def rule_firings(self, info: Info, rule_id: strawberry.ID, first: int | None = None,
                           after: str | None = None) -> Connection[RuleFiringType]:
        ctx = info.context
        s = ctx.rt.settings
        pk = decode_query_id(info, rule_id, RuleType, "ruleId")
        return await paginate(scoped(models.RuleFiring, ctx.tenant_id).filter(rule_id=pk),
                              first=page_size(first, s.default_page_size, s.max_page_size, ctx.locale),
                              after=after, ordering=Ordering("id", descending=True), to_node=RuleFiringType.from_row,
                              locale=ctx.locale)

    @strawberry.field(permission_classes=READ, description="What rules can fire on: the installed modules' events.")
    def automation_triggers(self, info: Info) -> list[TriggerType]:
        found = automation.catalog().triggers
        return [TriggerType.of(found[name], info.context.locale) for name in sorted(found)]

    @strawberry.field(permission_classes=READ, description="What rules can do: the installed modules' actions.")
    def automation_actions(self, info: Info) -> list[ActionType]:
        found = automation.catalog().actions
        return [ActionType.of(found[name], info.context.locale) for name in sorted(found)]

    @strawberry.field(permission_classes=READ, description="What a rule would have done with the account's last "
                                                           "events of its trigger. Changes nothing.")
    async def test_rule(self, info: Info, input: TestRuleInput) -> TestRulePayload:  # noqa: A002
        ctx = info.context

        async def run() -> list[TryType]:
            current = None
            if input.rule_id is not None:
                current = await rules.get_rule(ctx.tenant_id, decode_id(input.rule_id, RuleType, "ruleId"))
            values = await rules.checked(ctx.tenant_id, change_of(input), current)
            trigger = values.get("trigger") or (current.trigger if current else "")
            tried = await dry_run.try_rule(ctx.tenant_id, trigger, values["conditions"], values["actions"],
                                           input.last)
            return [TryType(event_id=t.event_id, at=t.at, matches=t.verdict.matches, would_run=steps(t.verdict),
                            error=t.verdict.error or None) for t in tried]
        results, errors = await attempt(info, run())
        return TestRulePayload(results=results or [], errors=errors)
