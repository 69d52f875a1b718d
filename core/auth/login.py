"""Log in with e-mail and password: rate-limited, and silent about which part was wrong."""

from __future__ import annotations

from datetime import UTC, datetime

from core.auth import ratelimit
from core.auth.passwords import hash_password, needs_rehash, verify_password
from core.auth.tokens import TokenPair, issue_pair, sha256
from core.errors import UserFacingError
from core.i18n import N_
from core.models import Membership, Tenant, User
from core.runtime import Runtime

INVALID = UserFacingError("INVALID_CREDENTIALS", N_("Wrong e-mail or password."))
IP_FACTOR = 5  # an office behind one address gets more tries than one account


async def _fail(rt: Runtime, keys: dict[str, int]) -> UserFacingError:
    for key in keys:
        await ratelimit.hit(rt.redis, key, rt.settings.login_window)
    return INVALID


async def login(rt: Runtime, email: str, password: str, tenant_slug: str | None, ip: str) -> TokenPair:
    """Failed attempts are counted per e-mail and per client address; past the limit, even the
    right password is refused until the window ends."""
    settings = rt.settings
    email = email.strip().lower()
    keys = {f"login:email:{sha256(email)}": settings.login_attempts,
            f"login:ip:{ip}": settings.login_attempts * IP_FACTOR}
    for key, limit in keys.items():
        if await ratelimit.exceeded(rt.redis, key, limit):
            raise UserFacingError(
                "TOO_MANY_ATTEMPTS",
                N_("Too many login attempts. Try again in a few minutes."),
            )
    user = await User.filter(email=email, is_active=True).first()
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise await _fail(rt, keys)
    memberships = Membership.filter(user_id=user.id, is_active=True)
    if tenant_slug:
        tenant = await Tenant.filter(slug=tenant_slug.strip().lower()).first()
        membership = (
            await memberships.filter(tenant_id=tenant.id).first() if tenant is not None else None
        )
        if membership is None:
            raise await _fail(rt, keys)
    else:
        found = await memberships.limit(2)
        if len(found) != 1:
            raise UserFacingError(
                "TENANT_REQUIRED", N_("Say which merchant account to log in to."), field=["tenant"]
            )
        membership = found[0]
    await ratelimit.reset(rt.redis, f"login:email:{sha256(email)}")
    updates = {"last_login_at": datetime.now(UTC)}
    if needs_rehash(user.password_hash):
        updates["password_hash"] = hash_password(password)  # type: ignore[assignment]
    await User.filter(id=user.id).update(**updates)
    return await issue_pair(settings, user.id, membership.tenant_id)
