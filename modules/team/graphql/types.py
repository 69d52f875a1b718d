"""GraphQL types of the team module."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info
from tortoise.queryset import QuerySet

from core import models
from core.access.admin import visible_roles
from core.graphql.node import ScopedNode
from core.graphql.permissions import UNGUARDED
from core.i18n import translate
from core.registry import Permission as PermissionDecl
from core.tenancy import scoped
from modules.team import models as team_models
from modules.team.graphql import dataloaders


@strawberry.type(name="Role")
class RoleType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    description: str
    is_default: bool = strawberry.field(description="Shipped by a module; read-only.")
    tenant_id: strawberry.Private[int | None]
    read_permission = ("team.role", "read")

    @classmethod
    def scope(cls, tenant_id: int) -> QuerySet[Any]:
        return visible_roles(tenant_id)

    @classmethod
    def from_row(cls, row: models.Role) -> Self:
        return cls(id=row.id, name=row.name, description=row.description,
                   is_default=row.tenant_id is None, tenant_id=row.tenant_id)

    @strawberry.field(description="Permission keys (resource:action) this role grants.")
    async def permissions(self, info: Info) -> list[str]:
        return await dataloaders.grants_by_role(info).load((self.tenant_id, self.name))


@strawberry.type(name="User")
class UserType(ScopedNode):
    id: relay.NodeID[int]
    email: str
    name: str
    locale: str | None
    created_at: datetime
    read_permission = ("team.user", "read")

    @classmethod
    def scope(cls, tenant_id: int) -> QuerySet[Any]:
        return dataloaders.members(tenant_id)

    @classmethod
    def from_row(cls, row: models.User) -> Self:
        """`row` comes from `scope()`: its name is the one this tenant gave the member."""
        return cls(id=row.id, email=row.email, name=row.member_name, locale=row.locale,  # type: ignore[attr-defined]
                   created_at=row.created_at)

    @strawberry.field(description="An active member of this tenant (deactivated members cannot log in).")
    async def is_active(self, info: Info) -> bool:
        membership = await dataloaders.memberships_by_user(info).load(self.id)
        return membership is not None and membership.is_active

    @strawberry.field(description="The last login to this tenant (logins elsewhere are not shown).")
    async def last_login_at(self, info: Info) -> datetime | None:
        membership = await dataloaders.memberships_by_user(info).load(self.id)
        return None if membership is None else membership.last_login_at

    @strawberry.field(description="Languages (BCP 47) the agent handles.")
    async def languages(self, info: Info) -> list[str]:
        skills = await dataloaders.skills_by_user(info).load(self.id)
        return [s.value for s in skills if s.kind == "language"]

    @strawberry.field(description="Categories of request the agent handles.")
    async def categories(self, info: Info) -> list[str]:
        skills = await dataloaders.skills_by_user(info).load(self.id)
        return [s.value for s in skills if s.kind == "category"]

    @strawberry.field(description="Needs team.role:read.")
    async def roles(self, info: Info) -> list[RoleType] | None:
        return [RoleType.from_row(r) for r in await dataloaders.roles_by_user(info).load(self.id)]


@strawberry.type(name="Team")
class TeamType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    timezone: str
    working_hours: JSON
    read_permission = ("team.team", "read")
    model = team_models.Team

    @classmethod
    def from_row(cls, row: team_models.Team) -> Self:
        return cls(id=row.id, name=row.name, timezone=row.timezone,
                   working_hours=row.working_hours)

    @strawberry.field(description="Needs team.user:read.")
    async def members(self, info: Info) -> list[UserType] | None:
        ids = await scoped(team_models.TeamMember, info.context.tenant_id).filter(
            team_id=self.id).values_list("user_id", flat=True)
        users = await dataloaders.users_by_id(info).load_many([int(str(i)) for i in ids])
        return [UserType.from_row(u) for u in users if u is not None]


@strawberry.type(name="AuditEntry")
class AuditEntryType(ScopedNode):
    id: relay.NodeID[int]
    actor_id: strawberry.Private[int | None]
    via: str
    action: str
    object_type: str
    object_id: str
    before: JSON | None
    after: JSON | None
    created_at: datetime
    read_permission = ("team.audit", "read")
    model = models.AuditEntry

    @classmethod
    def from_row(cls, row: models.AuditEntry) -> Self:
        return cls(id=row.id, actor_id=row.actor_id, via=row.via, action=row.action,
                   object_type=row.object_type, object_id=row.object_id, before=row.before,
                   after=row.after, created_at=row.created_at)

    @strawberry.field
    async def actor(self, info: Info) -> UserType | None:
        if self.actor_id is None:
            return None
        user = await dataloaders.users_by_id(info).load(self.actor_id)
        return UserType.from_row(user) if user else None


@strawberry.type(name="Permission", description="A resource/action a module declares.")
class PermissionType:
    key: str
    resource: str
    action: str
    label: str = strawberry.field(description="In the caller's language.")
    module: str

    @classmethod
    def build(cls, decl: PermissionDecl, module: str, locale: str) -> Self:
        return cls(key=decl.key, resource=decl.resource, action=decl.action,
                   label=translate(module, decl.label, locale), module=module)


@strawberry.type(name="Tenant")
class TenantType:
    slug: str
    name: str
    default_locale: str
    timezone: str


@strawberry.type
class Viewer:
    user: UserType = strawberry.field(metadata={UNGUARDED: "the caller's own user"})
    tenant: TenantType
    permissions: list[str]


@strawberry.type(name="Invitation", description="A pending, accepted, revoked or expired invitation to join.")
class InvitationType(ScopedNode):
    id: relay.NodeID[int]
    email: str
    name: str
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    role_ids: strawberry.Private[list[int]]
    invited_by_id: strawberry.Private[int | None]
    read_permission = ("team.user", "read")
    model = models.Invitation

    @classmethod
    def from_row(cls, row: models.Invitation) -> Self:
        return cls(id=row.id, email=row.email, name=row.name, expires_at=row.expires_at,
                   accepted_at=row.accepted_at, revoked_at=row.revoked_at, created_at=row.created_at,
                   role_ids=list(row.role_ids), invited_by_id=row.invited_by_id)

    @strawberry.field(description="PENDING, ACCEPTED, REVOKED or EXPIRED.")
    def status(self) -> str:
        if self.accepted_at is not None:
            return "ACCEPTED"
        if self.revoked_at is not None:
            return "REVOKED"
        return "EXPIRED" if self.expires_at <= datetime.now(UTC) else "PENDING"

    @strawberry.field(description="The roles the invitee gets on accepting. Needs team.role:read.")
    async def roles(self, info: Info) -> list[RoleType] | None:
        rows = [r for r in await dataloaders.roles_by_id(info).load_many(self.role_ids) if r is not None]
        return [RoleType.from_row(r) for r in sorted(rows, key=lambda r: r.name)]

    @strawberry.field
    async def invited_by(self, info: Info) -> UserType | None:
        if self.invited_by_id is None:
            return None
        user = await dataloaders.users_by_id(info).load(self.invited_by_id)
        return UserType.from_row(user) if user else None


@strawberry.type(name="InvitationPreview", description="What the holder of an invitation link sees.")
class InvitationPreviewType:
    tenant_name: str
    email: str
    name: str
    expires_at: datetime
    has_account: bool = strawberry.field(
        description="True: accept with the password this e-mail's account already has; false: choose one.")


@strawberry.type(name="ApiKey", description="An API key, without its secret (shown once, at creation).")
class ApiKeyType(ScopedNode):
    id: relay.NodeID[int]
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    user_id: strawberry.Private[int]
    read_permission = ("team.apikey", "read")
    model = models.ApiKey

    @classmethod
    def from_row(cls, row: models.ApiKey) -> Self:
        return cls(id=row.id, prefix=row.prefix, name=row.name, created_at=row.created_at,
                   last_used_at=row.last_used_at, expires_at=row.expires_at, revoked_at=row.revoked_at,
                   user_id=row.user_id)

    @strawberry.field(description="Who created the key; it acts with their permissions.")
    async def creator(self, info: Info) -> UserType | None:
        user = await dataloaders.users_by_id(info).load(self.user_id)
        return UserType.from_row(user) if user else None
