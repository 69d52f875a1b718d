"""The stale-record rule: a record is written only when its `updated_at` is not older than the one
applied last (sync_record), decided and recorded inside crm's upsert transaction (a crm Guard).

`admit` first claims a row per external id (inserted empty when new, left alone when there), then
reads them; on PostgreSQL `FOR UPDATE`, so two writers of the same record (a run and a webhook)
take turns and the later one compares with what the first committed. Equal is admitted: applying
the same version again changes nothing and proves it (crm counts it unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modules.crm.services import BatchWriter

COLUMNS = ("id", "tenant_id", "channel_id", "resource", "external_id", "updated_at")
CONFLICT = ("tenant_id", "channel_id", "resource", "external_id")
SELECT = ("SELECT external_id, updated_at FROM sync_record WHERE tenant_id = ? AND channel_id = ? AND resource = ? "
          "AND external_id IN ?")
UPDATE = ("UPDATE sync_record SET updated_at = ? WHERE tenant_id = ? AND channel_id = ? AND resource = ? "
          "AND external_id = ?")


def _utc(value: Any) -> datetime | None:
    """A timestamp read with raw SQL (text on SQLite, aware on PostgreSQL), in UTC."""
    if value is None:
        return None
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


class Ledger:
    """A crm Guard for one batch of one (channel, resource): `versions` maps external id to updated_at."""

    def __init__(self, tenant_id: int, channel_id: int, resource: str, versions: Mapping[str, datetime]) -> None:
        self.key = (tenant_id, channel_id, resource)
        self.versions = versions

    def _stored(self, w: BatchWriter, at: datetime) -> Any:
        return at if w.pg else at.astimezone(UTC).isoformat()

    async def admit(self, w: BatchWriter, external_ids: list[str]) -> set[str]:
        if not external_ids:
            return set()
        ids = await w.next_ids("sync_record", len(external_ids))
        # In key order: two batches claiming the same records lock them in the same order (no deadlock).
        await w.insert("sync_record", COLUMNS, [(i, *self.key, ext, None) for i, ext in zip(
            ids, sorted(external_ids), strict=True)], conflict=CONFLICT)
        rows = await w.fetch(SELECT + (" FOR UPDATE" if w.pg else ""), *self.key, external_ids)
        stored = {str(ext): _utc(at) for ext, at in rows}
        return {ext for ext in external_ids
                if (known := stored.get(ext)) is None or self.versions[ext] >= known}

    async def written(self, w: BatchWriter, external_ids: list[str]) -> None:
        await w.executemany(UPDATE, [(self._stored(w, self.versions[ext]), *self.key, ext) for ext in external_ids])
