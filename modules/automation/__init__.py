"""The automation module: tenants' rules that act on the events other modules declare as triggers."""

from core.registry import Module, Permission

module = Module(
    name="automation",
    version="0.1.0",
    summary="Rules on events: a trigger, conditions and actions, each firing recorded once",
    package="modules.automation",
    permissions=(
        Permission("automation.rule", "read", "See automation rules and their firings"),
        Permission("automation.rule", "write", "Create, edit, test and delete automation rules"),
    ),
    graphql="modules.automation.graphql.schema:contribution",
    worker="modules.automation.jobs:worker",
    demo="modules.automation.demo:load",
)
