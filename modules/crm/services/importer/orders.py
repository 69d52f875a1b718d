"""One batch of orders: find each order's customer in the tenant, match, compare, write.

Key: (tenant, channel, external_id); without --channel, orders with no channel in the tenant.
The customer is found by customer_external_id (an identity on --channel) or else by the blind index
of customer_email, always within the tenant: a customer of another tenant is never found, and an
order whose customer is not found is a row error. Order lines are not imported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.i18n import N_
from modules.crm.services.contacts import contact_hash
from modules.crm.services.importer.columns import err
from modules.crm.services.importer.context import Context, Counts, Row
from modules.crm.services.importer.writer import Writer, customers_by_email

COMPARED = ("customer_id", "number", "status", "currency", "subtotal", "shipping", "tax", "discount", "total",
            "placed_at", "paid_at", "shipped_at", "delivered_at", "carrier", "tracking_number")
ORDER = ("id", "tenant_id", "channel_id", "external_id", *COMPARED)
_SET = ", ".join(f"{c} = ?" for c in COMPARED)
UPDATE = f"UPDATE crm_order SET {_SET} WHERE id = ? AND tenant_id = ?"  # noqa: S608 - constant column names
DATES = ("placed_at", "paid_at", "shipped_at", "delivered_at")


def _stored(name: str, value: Any) -> Any:
    if name in DATES and isinstance(value, str):
        return datetime.fromisoformat(value)
    if name == "customer_id" and value is not None:
        return int(value)
    return value


async def write_orders(w: Writer, ctx: Context, rows: list[Row]) -> Counts:
    counts = Counts()
    tid = ctx.tenant_id
    unique: list[Row] = []
    seen: dict[str, int] = {}
    for row in rows:
        external_id = row.values["external_id"]
        if external_id in seen:
            ctx.fail(row, [err("DUPLICATE_ROW", N_("The same order is on row {line} of this file."), "external_id",
                               line=seen[external_id])])
            counts.failed += 1
            continue
        seen[external_id] = row.line
        unique.append(row)

    by_external: dict[str, int] = {}
    wanted = sorted({r.values["customer_external_id"] for r in unique if r.values["customer_external_id"]})
    if wanted and ctx.channel_id is not None:
        by_external = {e: int(c) for e, c in await w.fetch(
            "SELECT external_id, customer_id FROM crm_identity WHERE tenant_id = ? AND channel_id = ? "
            "AND external_id IN ?", tid, ctx.channel_id, wanted)}
    for r in unique:
        r.values["email_hash"] = contact_hash("email", r.values["customer_email"]) \
            if r.values["customer_email"] else None
    hashes = sorted({r.values["email_hash"] for r in unique if r.values["email_hash"]})
    by_email = await customers_by_email(w, tid, hashes)
    ready: list[Row] = []
    for r in unique:
        v = r.values
        customer = by_external.get(v["customer_external_id"] or "") or by_email.get(v["email_hash"] or "")
        if customer is None:
            column = "customer_external_id" if v["customer_external_id"] else "customer_email"
            ctx.fail(r, [err("CUSTOMER_NOT_FOUND", N_("No such customer in this tenant (import the customers "
                                                      "first)."), column)])
            counts.failed += 1
            continue
        v["customer_id"] = customer
        ready.append(r)

    channel = "channel_id = ?" if ctx.channel_id is not None else "channel_id IS NULL"
    channel_args = [ctx.channel_id] if ctx.channel_id is not None else []
    existing: dict[str, tuple[int, dict[str, Any]]] = {}
    if ready and (ctx.channel_id is not None or not ctx.channel_given):
        for rec in await w.fetch(f"SELECT external_id, id, {', '.join(COMPARED)} FROM crm_order "  # noqa: S608
                               f"WHERE tenant_id = ? AND {channel} AND external_id IN ?",
                               tid, *channel_args, [r.values["external_id"] for r in ready]):
            existing[rec[0]] = (int(rec[1]), {n: _stored(n, x) for n, x in zip(COMPARED, rec[2:], strict=True)})
    new: list[Row] = []
    updates: list[tuple[Any, ...]] = []
    for r in ready:
        v = r.values
        match = existing.get(v["external_id"])
        if match is None:
            new.append(r)
            continue
        order_id, stored = match
        if all(stored[n] == v[n] for n in COMPARED):
            counts.unchanged += 1
        elif ctx.on_conflict == "skip":
            counts.skipped += 1
        else:
            counts.updated += 1
            updates.append((*(v[n] for n in COMPARED), order_id, tid))
    if ctx.dry_run:
        counts.created += len(new)
        return counts
    records = [(i, tid, ctx.channel_id, r.values["external_id"], *(r.values[n] for n in COMPARED))
               for i, r in zip(await w.next_ids("crm_order", len(new)), new, strict=True)]
    written = await w.insert("crm_order", ORDER, records, conflict=("tenant_id", "channel_id", "external_id"))
    counts.created += written
    counts.skipped += len(records) - written  # written meanwhile by another import
    await w.executemany(UPDATE, updates)
    return counts
