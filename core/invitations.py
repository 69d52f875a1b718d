"""Invitations: how a person joins a tenant. Nobody becomes a member of a tenant, or has a
password set for them, without accepting through the link sent to their own address.

- `invite`: an admin names an e-mail, a display name and roles (only roles whose grants the admin
  holds). Nothing about an account that may already exist for that e-mail is read or shown.
- `preview`: the link's holder sees the tenant's name and whether to choose a password or give
  the one they already have.
- `accept`: single use, before it expires; a new identity sets its password, an existing one
  proves its password (rate-limited as a login). Then the membership exists and the roles apply.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit, validation
from core.access.admin import assign_roles, ensure_can_assign, role_for
from core.auth.login import verify_credentials
from core.auth.passwords import hash_password
from core.auth.principal import Principal
from core.auth.tokens import TokenPair, issue_pair, sha256
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.identity import check_password
from core.models import Invitation, Membership, Role, Tenant, User
from core.runtime import Runtime
from core.tenancy import scoped

TOKEN_PREFIX = "sci_"  # noqa: S105 - a prefix, not a secret
MAX_ROLES = 20


@dataclass(frozen=True)
class InvitationPreview:
    tenant_name: str
    email: str
    name: str
    expires_at: datetime
    has_account: bool  # give the existing password (True) or choose one (False)


def _now() -> datetime:
    return datetime.now(UTC)


def pending(tenant_id: int) -> QuerySet[Invitation]:
    return scoped(Invitation, tenant_id).filter(accepted_at=None, revoked_at=None)


async def invite(rt: Runtime, tid: int, actor: Principal | None, email: str, name: str,
                 role_ids: list[int]) -> tuple[Invitation, str]:
    """The invitation and its token (returned once; only its hash is kept). Inviting an e-mail
    again replaces its pending invitation, so the newest link is the only one that works.
    `actor` None is the operator (CLI), who may give any role."""
    errors: list[UserFacingError] = []
    email = validation.collect(errors, validation.email, email, ["email"]) or ""
    name = name.strip()
    if len(name) > 200:
        errors.append(UserFacingError("TOO_LONG", N_("The name is longer than {max} characters."),
                                      field=["name"], params={"max": 200}))
    if len(role_ids) > MAX_ROLES:
        errors.append(UserFacingError("TOO_MANY", N_("At most {max} roles."), field=["roleIds"],
                                      params={"max": MAX_ROLES}))
    if errors:
        raise UserFacingErrors(errors)
    roles: list[Role] = []
    for index, role_id in enumerate(dict.fromkeys(role_ids)):
        field = ["roleIds", str(index)]
        role = await role_for(tid, role_id, field)
        if actor is not None:
            await ensure_can_assign(rt, actor, role, field)
        roles.append(role)
    async with in_transaction():
        if await Membership.filter(tenant_id=tid, user__email=email).exists():
            raise UserFacingError("ALREADY_MEMBER", N_("This user is already a member."), field=["email"])
        await pending(tid).filter(email=email).update(revoked_at=_now())
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        invitation = await Invitation.create(
            tenant_id=tid, email=email, name=name, role_ids=[r.id for r in roles],
            token_hash=sha256(token), invited_by_id=actor.user_id if actor else None,
            expires_at=_now() + timedelta(seconds=rt.settings.invitation_ttl))
        await audit.record(actor, tid, "invitation.create", "Invitation", invitation.id, None,
                           {"roles": [r.name for r in roles]})
    return invitation, token


def link(rt: Runtime, token: str) -> str:
    return rt.settings.invitation_url.replace("{token}", token)


async def revoke(actor: Principal, invitation_id: int) -> Invitation:
    async with in_transaction():
        invitation = await pending(actor.tenant_id).filter(id=invitation_id).select_for_update().first()
        if invitation is None:
            raise UserFacingError("NOT_FOUND", N_("No such pending invitation."), field=["invitationId"])
        invitation.revoked_at = _now()
        await invitation.save(update_fields=["revoked_at"])
        await audit.record(actor, actor.tenant_id, "invitation.revoke", "Invitation", invitation.id)
    return invitation


_INVALID = N_("This invitation link is not valid, was already used or has expired.")


def _usable(invitation: Invitation | None) -> Invitation:
    """One answer for unknown, used, revoked and expired links: the holder learns nothing more."""
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None \
            or invitation.expires_at <= _now():
        raise UserFacingError("INVALID_INVITATION", _INVALID, field=["token"])
    return invitation


async def preview(token: str) -> InvitationPreview:
    invitation = _usable(await Invitation.filter(token_hash=sha256(token.strip())).first())
    tenant = await Tenant.get(id=invitation.tenant_id)
    has_account = await User.filter(email=invitation.email).exists()
    return InvitationPreview(tenant.name, invitation.email, invitation.name, invitation.expires_at,
                             has_account)


async def accept(rt: Runtime, token: str, password: str, name: str | None, ip: str) -> TokenPair:
    """Join the tenant and log in to it. The password is the new account's (at least 8
    characters) or, when the e-mail has an account already, that account's own."""
    async with in_transaction():
        invitation = _usable(await Invitation.filter(
            token_hash=sha256(token.strip())).select_for_update().first())
        user = await User.filter(email=invitation.email).first()
        if user is None:
            check_password(password)
            display = (name or "").strip() or invitation.name
            user = await User.create(email=invitation.email, name=display,
                                     password_hash=await hash_password(password))
        else:
            user = await verify_credentials(rt, invitation.email, password, ip)
            display = (name or "").strip() or invitation.name or user.name
        if await Membership.filter(user_id=user.id, tenant_id=invitation.tenant_id).exists():
            raise UserFacingError("ALREADY_MEMBER", N_("This user is already a member."), field=["token"])
        await Membership.create(user_id=user.id, tenant_id=invitation.tenant_id, name=display[:200],
                                last_login_at=_now())
        roles = await Role.filter(id__in=invitation.role_ids)
        await assign_roles(invitation.tenant_id, user.id, roles)
        invitation.accepted_at, invitation.accepted_by_id = _now(), user.id
        await invitation.save(update_fields=["accepted_at", "accepted_by_id"])
        member = Principal(user.id, invitation.tenant_id)
        await audit.record(member, invitation.tenant_id, "invitation.accept", "Invitation", invitation.id,
                           None, {"roles": sorted(r.name for r in roles)})
        pair = await issue_pair(rt.settings, user.id, invitation.tenant_id)
    await rt.policy_changed(invitation.tenant_id)
    return pair
