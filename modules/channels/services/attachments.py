"""The files that come with a message, kept through core.storage before the ticket is written.

Each is judged by its bytes: an executable (whatever its name) or a file over MAX_FILE_BYTES is
not kept, and the message says so (`refused`), so the agent knows something came; the raw
message keeps it for admins either way. What is kept is shown through signed links only. The
caller deletes the keys it was given if its transaction does not commit (`discard`).
"""

from __future__ import annotations

from collections.abc import Sequence

from core import storage
from core.channels import InboundFile
from core.storage import kinds
from modules.aftersales.services import Attachment

MAX_FILE_BYTES = 10 * 2**20  # what mail services let through for one file, and a phone's video


async def keep(tenant_id: int, files: Sequence[InboundFile], kept: list[str]) -> list[Attachment]:
    """The files' metadata for the ticket message; the keys stored are appended to `kept`."""
    result: list[Attachment] = []
    for file in files:
        content_type = kinds.sniff(file.data)
        reason = kinds.refused(file.data, file.name) or ("too_large" if len(file.data) > MAX_FILE_BYTES else "")
        if reason:
            result.append(Attachment(file.name, content_type, len(file.data), refused=reason))
            continue
        key = storage.new_key(tenant_id)
        await storage.store().put(key, file.data)
        kept.append(key)
        result.append(Attachment(file.name, content_type, len(file.data), key=key))
    return result


async def discard(keys: Sequence[str]) -> None:
    """Forget files whose message was not written (a failure, a duplicate)."""
    for key in keys:
        await storage.store().delete(key)
