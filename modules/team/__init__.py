"""The team module: tenants' people, roles, teams, skills and the audit log, over GraphQL."""

from core.registry import Module, Permission

module = Module(
    name="team",
    version="1.0.0",
    summary="Users, roles and permissions, teams and agent skills, audit log",
    package="modules.team",
    permissions=(
        Permission("team.user", "read", "See users"),
        Permission("team.user", "write", "Invite and edit users"),
        Permission("team.role", "read", "See roles and permissions"),
        Permission("team.role", "write", "Create, edit and assign roles"),
        Permission("team.team", "read", "See teams"),
        Permission("team.team", "write", "Create and edit teams"),
        Permission("team.audit", "read", "Read the audit log"),
        Permission("team.apikey", "read", "See API keys (never their secrets)"),
        Permission("team.apikey", "write", "Create and revoke API keys"),
        Permission("team.tenant", "write", "Change the account's name, language and time zone"),
    ),
    graphql="modules.team.graphql.schema:contribution",
    worker="modules.team.jobs:worker",
    demo="modules.team.demo:load",
)
