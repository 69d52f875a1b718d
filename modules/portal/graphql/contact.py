"""The contact form: the shop's web forms (the channels module's `web_form` kind) for the page to
embed. The form itself, its stamp, limits and checks stay the channels module's: the page GETs and
POSTs the path given here (docs/channels.md)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from modules.channels.services import web_forms


@strawberry.type
class ContactForm:
    name: str
    path: str = strawberry.field(description="GET it for the form's stamp, then POST the submission as JSON.")


@strawberry.type
class ContactQuery:
    @strawberry.field(description="The shop's switched-on contact forms, by name.")
    async def contact_forms(self, info: Info) -> list[ContactForm]:
        return [ContactForm(name=f.name, path=f.path) for f in await web_forms(info.context.shop.id)]
