"""The seam for attachment storage: the media an inbound message referred to (WhatsApp: a media
id with its MIME type, sha256, file name and caption), read back from the stored raw message.

Nothing is downloaded here. The storage interface fetches each reference's bytes (for WhatsApp:
`GET /<media id>` with the account's token gives a short-lived URL) and keeps them under its own
limits; `media_refs` tells it what there is to fetch, and the ticket message already names it.
"""

from __future__ import annotations

import base64

from core.channels import MediaRef, ParseError
from core.tenancy import scoped
from modules.channels.models import ChannelAccount, InboundMessage
from modules.channels.services.accounts import kind_of


async def media_refs(tenant_id: int, inbound_id: int) -> list[MediaRef]:
    """The media of one inbound message of the tenant; [] when it has none, or is not readable."""
    row = await scoped(InboundMessage, tenant_id).filter(id=inbound_id).first()
    account = await scoped(ChannelAccount, tenant_id).filter(id=row.account_id).first() if row else None
    if row is None or account is None:
        return []
    try:
        return list(kind_of(account.kind).parse(base64.b64decode(row.content)).media)
    except ParseError:
        return []
