"""The aftersales module: tickets, returns, refunds, exchanges and repairs, with SLAs, routing,
multilingual replies and a knowledge base."""

from core.registry import Module, Permission

module = Module(
    name="aftersales",
    version="0.1.0",
    summary="Tickets, returns, refunds, exchanges and repairs; SLAs, routing, macros, knowledge base",
    package="modules.aftersales",
    depends=("team", "crm"),
    permissions=(
        Permission("aftersales.ticket", "read", "See tickets and their messages"),
        Permission("aftersales.ticket", "write", "Create tickets, reply, change status, assign"),
        Permission("aftersales.return", "read", "See returns, refunds, exchanges and repairs"),
        Permission("aftersales.return", "write", "Create and decide returns, exchanges and repairs"),
        Permission("aftersales.refund", "write", "Issue refunds"),
        Permission("aftersales.settings", "write",
                   "Edit SLA policies, routing, priority and escalation rules, return policies"),
        Permission("aftersales.macro", "write", "Create and edit canned replies"),
        Permission("aftersales.kb", "read", "Read knowledge base articles"),
        Permission("aftersales.kb", "write", "Write knowledge base articles"),
    ),
    graphql="modules.aftersales.graphql.schema:contribution",
    worker="modules.aftersales.jobs:worker",
    demo="modules.aftersales.demo:load",
    startup="modules.aftersales.services.language:start_up",
    automation="modules.aftersales.automation:contribution",
)
