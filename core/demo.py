"""The demo tenant: slug `demo`, admin `admin@demo.test`, then each module's own demo data."""

from __future__ import annotations

from core.access.admin import assign_role_by_name
from core.identity import add_user, create_tenant
from core.models import Membership, Tenant, User
from core.runtime import Runtime

SLUG = "demo"
ADMIN_EMAIL = "admin@demo.test"


async def load_demo(rt: Runtime) -> Tenant:
    """Idempotent: loading twice leaves one demo tenant with the same data."""
    tenant = await Tenant.filter(slug=SLUG).first()
    if tenant is None:
        tenant = await create_tenant(SLUG, "Demo Trading Co.")
    admin = await User.filter(email=ADMIN_EMAIL).first()
    if admin is None or not await Membership.filter(user_id=admin.id, tenant_id=tenant.id).exists():
        admin = await add_user(tenant.id, ADMIN_EMAIL, "Demo Admin", rt.settings.demo_password,
                             password_policy=False)
    await assign_role_by_name(tenant.id, admin.id, "admin")
    for module in rt.modules:
        await module.load_demo(tenant.id)
    await rt.policy_changed(tenant.id)
    return tenant
