"""Demo data: one e-mail account, switched off (its SMTP server is a local one to fill in)."""

from __future__ import annotations

from core.auth.principal import Principal
from core.models import Membership
from modules.channels.services import AccountInput, create_account


async def load(tenant_id: int) -> None:
    member = await Membership.filter(tenant_id=tenant_id).order_by("id").first()
    if member is None:
        return
    actor = Principal(member.user_id, tenant_id, via="script")
    await create_account(actor, "email", AccountInput(
        name="Support mailbox", address="support@demo.test", reply_to="support@demo.test",
        credentials={"smtp_host": "127.0.0.1", "smtp_port": 1025, "smtp_security": "none"},
        enabled=False))  # on once its SMTP settings are real: demo replies would wait on a server otherwise
