"""Apply a connector's records (a run's page, a webhook) through crm's public upsert: customers
first, each resource in one transaction guarded by the ledger (the stale-record rule)."""

from __future__ import annotations

from collections.abc import Sequence

from modules.crm.services import upsert_records
from modules.sync.services.connectors import RESOURCE_ORDER, Record
from modules.sync.services.ledger import Ledger

Counts = dict[str, dict[str, int]]  # resource -> created, updated, unchanged, skipped, failed, stale


def newest(records: Sequence[Record]) -> dict[str, Record]:
    """One record per external id: the newest version (an order's customer comes with each order)."""
    found: dict[str, Record] = {}
    for record in records:
        known = found.get(record.external_id)
        if known is None or record.updated_at >= known.updated_at:
            found[record.external_id] = record
    return found


async def apply(tenant_id: int, channel_id: int, records: Sequence[Record]) -> Counts:
    counts: Counts = {}
    for resource in RESOURCE_ORDER:
        batch = newest([r for r in records if r.resource == resource])
        if not batch:
            continue
        ledger = Ledger(tenant_id, channel_id, resource, {ext: r.updated_at for ext, r in batch.items()})
        result = await upsert_records(tenant_id, channel_id, resource, [r.cells for r in batch.values()], ledger)
        counts[resource] = {**result.counts.as_dict(), "stale": result.stale}
    return counts


def add(total: Counts, more: Counts) -> None:
    for resource, numbers in more.items():
        mine = total.setdefault(resource, {})
        for name, n in numbers.items():
            mine[name] = mine.get(name, 0) + n
