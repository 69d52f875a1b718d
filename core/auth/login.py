"""Log in with e-mail and password: rate-limited, and silent about which part was wrong."""

from __future__ import annotations

import asyncio
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
MAX_DELAY = 8.0  # seconds: the most a failing address waits per attempt
pause = asyncio.sleep  # how an attempt waits (a test observes it instead of waiting)


def address_delay(failures: int, limit: int) -> float:
    """How long an attempt from an address with `failures` failures in the window waits.

    Past the limit an address is slowed down, never refused: a refusal would lock out everyone
    behind the same NAT or office proxy, who are not the target. Guessing then costs time that
    grows with every failure (0.25 s doubling, at most MAX_DELAY), while the per-account limit
    still stops a guesser aiming at one account."""
    if failures < limit:
        return 0.0
    return min(MAX_DELAY, 0.25 * 2 ** min(failures - limit, 8))


def _keys(email: str, ip: str) -> tuple[str, str]:
    return f"login:email:{sha256(email)}", f"login:ip:{ip}"


async def verify_credentials(rt: Runtime, email: str, password: str, ip: str) -> User:
    """The active user with this e-mail and password, or INVALID_CREDENTIALS. Failed attempts are
    counted per e-mail (past the limit even the right password is refused until the window ends)
    and per client address (past its limit, attempts are slowed down)."""
    settings = rt.settings
    email = email.strip().lower()
    email_key, ip_key = _keys(email, ip)
    if await ratelimit.exceeded(email_key, settings.login_attempts):
        raise UserFacingError(
            "TOO_MANY_ATTEMPTS", N_("Too many login attempts. Try again in a few minutes."))
    delay = address_delay(await ratelimit.count(ip_key), settings.login_attempts * IP_FACTOR)
    if delay:
        await pause(delay)
    user = await User.filter(email=email, is_active=True).first()
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        raise await fail(rt, email, ip)
    await ratelimit.reset(email_key)
    if needs_rehash(user.password_hash):
        await User.filter(id=user.id).update(password_hash=await hash_password(password))
    return user


async def fail(rt: Runtime, email: str, ip: str) -> UserFacingError:
    """Count a failed attempt for the e-mail and the address; the error to raise."""
    for key in _keys(email.strip().lower(), ip):
        await ratelimit.hit(key, rt.settings.login_window)
    return INVALID


async def login(rt: Runtime, email: str, password: str, tenant_slug: str | None, ip: str) -> TokenPair:
    user = await verify_credentials(rt, email, password, ip)
    memberships = Membership.filter(user_id=user.id, is_active=True)
    if tenant_slug:
        tenant = await Tenant.filter(slug=tenant_slug.strip().lower()).first()
        membership = (
            await memberships.filter(tenant_id=tenant.id).first() if tenant is not None else None
        )
        if membership is None:
            raise await fail(rt, email, ip)
    else:
        found = await memberships.limit(2)
        if len(found) != 1:
            raise UserFacingError(
                "TENANT_REQUIRED", N_("Say which merchant account to log in to."), field=["tenant"]
            )
        membership = found[0]
    await Membership.filter(id=membership.id).update(last_login_at=datetime.now(UTC))
    return await issue_pair(rt.settings, user.id, membership.tenant_id)
