"""Tenants, users and memberships: the services behind the CLI, the demo and `createUser`."""

from __future__ import annotations

import re

from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.passwords import hash_password
from core.auth.principal import Principal
from core.auth.tokens import revoke_access_tokens
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import Membership, Tenant, User

SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{1,62}$")
MIN_PASSWORD = 8


async def create_tenant(slug: str, name: str, default_locale: str = "en") -> Tenant:
    slug = slug.strip().lower()
    errors = []
    if not SLUG.match(slug):
        errors.append(UserFacingError(
            "INVALID_SLUG", N_("A slug has 2 to 63 lowercase letters, digits or '-'."),
            field=["slug"]))
    elif await Tenant.filter(slug=slug).exists():
        errors.append(UserFacingError("SLUG_TAKEN", N_("The slug {slug} is taken."),
                                      field=["slug"], params={"slug": slug}))
    if not name.strip():
        errors.append(UserFacingError("REQUIRED", N_("A name is required."), field=["name"]))
    if errors:
        raise UserFacingErrors(errors)
    return await Tenant.create(slug=slug, name=name.strip(), default_locale=default_locale)


def members(tenant_id: int) -> QuerySet[User]:
    """The tenant's members (active or not), each with `member_name`: the name this tenant knows
    them by, never what another tenant or the person set elsewhere."""
    sql = ("(SELECT m.name FROM core_membership m WHERE m.user_id = core_user.id "  # noqa: S608 - an int
           f"AND m.tenant_id = {int(tenant_id)})")
    return User.filter(memberships__tenant_id=tenant_id).annotate(member_name=RawSQL(sql))


async def add_user(
    tenant_id: int, email: str, name: str, password: str | None, actor: Principal | None = None,
    *, password_policy: bool = True,
) -> User:
    """Create a new identity and make it a member of the tenant: for the operator (CLI), the demo
    and set-up scripts, never for an e-mail that already has an account. A person who has one
    joins another tenant only by accepting an invitation (`core.invitations`), so nobody can set,
    drop or learn another person's password or membership.

    `password_policy=False` is for the demo tenant only, whose documented password is short.
    """
    email = validation.email(email)
    if password is not None:
        check_password(password, password_policy)
    password_hash = await hash_password(password) if password else ""  # 0.3 s: not inside the transaction
    async with in_transaction():
        if await User.filter(email=email).exists():
            raise UserFacingError(
                "IDENTITY_EXISTS",
                N_("This e-mail already has an account: invite it, and its owner accepts."),
                field=["email"])
        user = await User.create(email=email, name=name.strip(),
                                 password_hash=password_hash)
        await Membership.create(user_id=user.id, tenant_id=tenant_id, name=name.strip())
        await audit.record(actor, tenant_id, "user.add", "User", user.id, None, {"name": user.name})
    return user


def check_password(password: str, policy: bool = True) -> None:
    if policy and len(password) < MIN_PASSWORD:
        raise UserFacingError(
            "PASSWORD_TOO_SHORT", N_("A password has at least {min} characters."),
            field=["password"], params={"min": MIN_PASSWORD},
        )


async def set_member_active(actor: Principal, user_id: int, active: bool) -> Membership:
    """Deactivate (or reactivate) a user in the caller's tenant. A deactivated member's tokens and
    API keys stop working at once; their sessions in this tenant are revoked."""
    from datetime import UTC, datetime

    from core.models import RefreshToken

    tid = actor.tenant_id
    async with in_transaction():
        membership = await Membership.filter(user_id=user_id, tenant_id=tid).first()
        if membership is None:
            raise UserFacingError("NOT_FOUND", N_("No such user."), field=["userId"])
        if user_id == actor.user_id and not active:
            raise UserFacingError("CANNOT_DEACTIVATE_SELF", N_("You cannot deactivate yourself."),
                                  field=["userId"])
        if membership.is_active != active:
            membership.is_active = active
            await membership.save(update_fields=["is_active"])
            if not active:
                await RefreshToken.filter(user_id=user_id, tenant_id=tid, revoked_at=None).update(
                    revoked_at=datetime.now(UTC))
                # Tokens issued before stay void after a reactivation: a fresh login is needed.
                await revoke_access_tokens(user_id, tid)
            await audit.record(actor, tid, "user.activate" if active else "user.deactivate", "User",
                               user_id, {"active": not active}, {"active": active})
    return membership


async def update_tenant(actor: Principal, name: str | None, default_locale: str | None,
                        timezone: str | None) -> Tenant:
    """Rename the merchant account or change its default language and time zone."""
    errors: list[UserFacingError] = []
    if name is not None and not (0 < len(name.strip()) <= 200):
        errors.append(UserFacingError("INVALID_NAME", N_("A name has 1 to 200 characters."),
                                      field=["name"]))
    if default_locale is not None:
        default_locale = validation.collect(errors, validation.language, default_locale, ["defaultLocale"])
    if timezone is not None:
        validation.collect(errors, validation.timezone, timezone)
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        tenant = await Tenant.get(id=actor.tenant_id)
        before = {"name": tenant.name, "default_locale": tenant.default_locale, "timezone": tenant.timezone}
        tenant.name = tenant.name if name is None else name.strip()
        tenant.default_locale = default_locale or tenant.default_locale
        tenant.timezone = timezone or tenant.timezone
        await tenant.save()
        await audit.record(actor, tenant.id, "tenant.update", "Tenant", tenant.id, before,
                           {"name": tenant.name, "default_locale": tenant.default_locale,
                            "timezone": tenant.timezone})
    return tenant
