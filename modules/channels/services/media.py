"""The media an inbound message referred to (WhatsApp: a media id with its MIME type, sha256,
file name and caption), read back from the stored raw message, and downloaded into the file store
by a worker once the message is committed (`channels.fetch_media`, owed in its transaction).

The kind's `fetch_media` gets the bytes; they are then kept as the ticket message's attachments by
the same rules as a mail's (modules.channels.services.attachments). A temporary failure (the Graph
API down, a timeout) is retried by the outbox; a permanent one (too large, a checksum that does not
match, a host that is not Meta's) is listed on the message as `refused` with its code.
"""

from __future__ import annotations

import base64

from core import channels as registry
from core import events
from core.channels import InboundFile, MediaRef, ParseError, PermanentFailure, TemporaryFailure
from core.models import OutboxEvent
from core.storage.kinds import OCTET
from core.tenancy import scoped
from modules.aftersales.services import Attachment, attach_files
from modules.channels.models import ChannelAccount, InboundMessage
from modules.channels.services import attachments
from modules.channels.services.accounts import config, kind_of

FETCH_MEDIA = "channels.fetch_media"  # payload: inbound_id, message_id (the ticket message)


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


def _name(ref: MediaRef) -> str:
    return (ref.filename or ref.kind or "media")[:255]


async def fetch_media(event: OutboxEvent) -> None:
    """channels.fetch_media: download a message's media and attach them to its ticket message."""
    tid = event.tenant_id
    if tid is None:
        return
    inbound_id, message_id = int(event.payload["inbound_id"]), int(event.payload["message_id"])
    row = await scoped(InboundMessage, tid).filter(id=inbound_id).first()
    account = await scoped(ChannelAccount, tid).filter(id=row.account_id).first() if row else None
    kind = registry.kind(account.kind) if account else None
    if account is None or kind is None or kind.fetch_media is None:
        return
    files: list[InboundFile] = []
    refused: list[Attachment] = []
    for ref in await media_refs(tid, inbound_id):
        try:
            data = await kind.fetch_media(config(account), ref, attachments.MAX_FILE_BYTES)
        except TemporaryFailure as exc:
            if event.attempts + 1 < events.MAX_ATTEMPTS:
                raise
            refused.append(Attachment(_name(ref), ref.mime_type or OCTET, 0, refused=exc.code[:64]))
        except PermanentFailure as exc:
            refused.append(Attachment(_name(ref), ref.mime_type or OCTET, 0, refused=exc.code[:64]))
        else:
            files.append(InboundFile(name=_name(ref), claimed_type=ref.mime_type, data=data))
    kept: list[str] = []
    try:
        stored = await attachments.keep(tid, files, kept)
        await attach_files(tid, message_id, [*stored, *refused])
    except Exception:
        await attachments.discard(kept)
        raise
