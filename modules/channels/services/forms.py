"""A tenant's web contact forms as a storefront embeds them (the buyers' portal lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from core.tenancy import scoped
from modules.channels import form
from modules.channels.models import ChannelAccount

MAX_FORMS = 20


@dataclass(frozen=True)
class WebForm:
    name: str
    path: str  # GET it for the stamp, POST the submission (modules.channels.form.http)


async def web_forms(tenant_id: int) -> list[WebForm]:
    """The tenant's switched-on contact forms, by name."""
    rows = await (scoped(ChannelAccount, tenant_id).filter(kind=form.KIND, enabled=True).order_by("name", "id")
                  .limit(MAX_FORMS).values_list("name", "public_id"))
    return [WebForm(str(name), form.path(public_id)) for name, public_id in rows]
