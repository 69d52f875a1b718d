"""Tenants, users and memberships: the services behind the CLI, the demo and `createUser`."""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.passwords import hash_password
from core.auth.principal import Principal
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


async def add_user(
    tenant_id: int, email: str, name: str, password: str | None, actor: Principal | None = None,
    *, password_policy: bool = True,
) -> User:
    """Create the user (or find the existing one by e-mail) and make it a member of the tenant.

    `password_policy=False` is for the demo tenant only, whose documented password is short.
    """
    email = validation.email(email)
    if password is not None and password_policy and len(password) < MIN_PASSWORD:
        raise UserFacingError(
            "PASSWORD_TOO_SHORT", N_("A password has at least {min} characters."),
            field=["password"], params={"min": MIN_PASSWORD},
        )
    async with in_transaction():
        user = await User.filter(email=email).first()
        if user is None:
            user = await User.create(
                email=email, name=name.strip(),
                password_hash=hash_password(password) if password else "",
            )
        elif await Membership.filter(user_id=user.id, tenant_id=tenant_id).exists():
            raise UserFacingError("ALREADY_MEMBER", N_("This user is already a member."),
                                  field=["email"])
        await Membership.create(user_id=user.id, tenant_id=tenant_id)
        await audit.record(actor, tenant_id, "user.add", "User", user.id, None,
                           {"name": user.name})
    return user


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
