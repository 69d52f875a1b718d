"""inviteUser, revokeInvitation, acceptInvitation and setUserActive: how people join and leave.

There is no createUser: a person joins a tenant only by accepting an invitation (core.invitations).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from core import identity, invitations
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id
from core.graphql.permissions import Public, Requires
from modules.team.graphql.mutations.auth import AuthPayload, payload
from modules.team.graphql.types import InvitationType, RoleType, UserType


@strawberry.input
class InviteUserInput:
    email: str
    name: str = strawberry.field(default="", description="How this tenant will show the person.")
    role_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Roles given on accepting; only roles whose grants you hold.")


@strawberry.type
class InvitationPayload:
    invitation: InvitationType | None = None
    token: str | None = strawberry.field(
        default=None, description="Shown only this once: the invitee accepts with it.")
    accept_url: str | None = strawberry.field(default=None, description="The link to send the invitee.")
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeInvitationInput:
    invitation_id: strawberry.ID


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: str = strawberry.field(
        description="A new password (at least 8 characters), or the one this e-mail's account has.")
    name: str | None = strawberry.field(default=None, description="Your name in this tenant.")


@strawberry.input
class SetUserActiveInput:
    user_id: strawberry.ID
    active: bool


@strawberry.type
class UserPayload:
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserMutations:
    @strawberry.mutation(permission_classes=[Requires("team.user", "write")],
                         description="Invite a person by e-mail; they become a member on accepting.")
    async def invite_user(self, info: Info, input: InviteUserInput) -> InvitationPayload:  # noqa: A002
        ctx = info.context

        async def run() -> InvitationPayload:
            role_ids = [decode_id(r, RoleType, "roleIds") for r in input.role_ids]
            actor = ctx.require_principal()
            row, token = await invitations.invite(ctx.rt, actor.tenant_id, actor, input.email,
                                                  input.name, role_ids)
            return InvitationPayload(invitation=InvitationType.from_row(row), token=token,
                                     accept_url=invitations.link(ctx.rt, token), expires_at=row.expires_at)
        result, errors = await attempt(info, run())
        return result or InvitationPayload(errors=errors)

    @strawberry.mutation(permission_classes=[Requires("team.user", "write")])
    async def revoke_invitation(self, info: Info, input: RevokeInvitationInput) -> InvitationPayload:  # noqa: A002
        ctx = info.context

        async def run() -> InvitationType:
            pk = decode_id(input.invitation_id, InvitationType, "invitationId")
            return InvitationType.from_row(await invitations.revoke(ctx.require_principal(), pk))
        row, errors = await attempt(info, run())
        return InvitationPayload(invitation=row, errors=errors)

    @strawberry.mutation(permission_classes=[Public],
                         description="Join the tenant of an invitation and log in to it.")
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> AuthPayload:  # noqa: A002
        ctx = info.context
        return payload(*await attempt(info, invitations.accept(
            ctx.rt, input.token, input.password, input.name, ctx.client_ip)))

    @strawberry.mutation(
        permission_classes=[Requires("team.user", "write")],
        description="Deactivate a member (their tokens stop working at once) or reactivate one.")
    async def set_user_active(self, info: Info, input: SetUserActiveInput) -> UserPayload:  # noqa: A002
        ctx = info.context

        async def run() -> UserType:
            user_id = decode_id(input.user_id, UserType, "userId")
            await identity.set_member_active(ctx.require_principal(), user_id, input.active)
            return UserType.from_row(await UserType.scope(ctx.tenant_id).get(id=user_id))
        user, errors = await attempt(info, run())
        return UserPayload(user=user, errors=errors)
