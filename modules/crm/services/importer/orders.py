"""One batch of orders: find each order's customer in the tenant, match, compare, write.

Key: (tenant, channel, external_id), the channel being the row's (its `channel` cell or --channel);
a row without one matches the tenant's orders that have no channel.
The customer is found by customer_external_id (an identity on the row's channel) or else by the blind index
of customer_email, always within the tenant: a customer of another tenant is never found, and an
order whose customer is not found is a row error. A file with line columns (lines.py) gives each order
its lines: they are compared with the stored ones, and replace them on update; products are matched by
SKU in the tenant, or created.
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
LINE = ("id", "tenant_id", "order_id", "product_id", "sku", "name", "quantity", "unit_price", "currency")
PRODUCT = ("id", "tenant_id", "sku", "name", "category")

Line = tuple[str, str, int, int]  # sku, name, quantity, unit price (minor units)
Key = tuple[bool, int | None, str]  # has a channel, its id (None: a new --channel), external id


def _key(values: dict[str, Any]) -> Key:
    return values["has_channel"], values["channel_id"], values["external_id"]


def _lines(values: dict[str, Any]) -> list[Line]:
    return [(x["sku"], x["name"], x["quantity"], x["unit_price"]) for x in values["lines"]]


async def _stored_lines(w: Writer, tid: int, order_ids: list[int]) -> dict[int, list[Line]]:
    result: dict[int, list[Line]] = {i: [] for i in order_ids}
    if order_ids:
        for order_id, sku, name, quantity, price in await w.fetch(
                "SELECT order_id, sku, name, quantity, unit_price FROM crm_order_line WHERE tenant_id = ? "
                "AND order_id IN ? ORDER BY id", tid, order_ids):
            result[int(order_id)].append((sku, name, int(quantity), int(price)))
    return result


async def _products(w: Writer, tid: int, lines: list[Line]) -> dict[str, int]:
    """Product ids by SKU, creating the SKUs the tenant does not have yet (named after their first line)."""
    names: dict[str, str] = {}
    for sku, name, _, _ in lines:
        names.setdefault(sku, name or sku)
    query = "SELECT sku, id FROM crm_product WHERE tenant_id = ? AND sku IN ?"
    found = {str(sku): int(i) for sku, i in await w.fetch(query, tid, sorted(names))}
    missing = [sku for sku in names if sku not in found]
    if missing:
        ids = await w.next_ids("crm_product", len(missing))
        await w.insert("crm_product", PRODUCT, [(i, tid, sku, names[sku][:255], "") for i, sku in zip(
            ids, missing, strict=True)], conflict=("tenant_id", "sku"))
        found.update({str(sku): int(i) for sku, i in await w.fetch(query, tid, missing)})
    return found


async def _write_lines(w: Writer, tid: int, orders: list[tuple[int, str, list[Line]]]) -> None:
    """Replace the lines of these orders (id, currency, lines)."""
    if not orders:
        return
    await w.execute("DELETE FROM crm_order_line WHERE tenant_id = ? AND order_id IN ?", tid, [o[0] for o in orders])
    products = await _products(w, tid, [line for _, _, lines in orders for line in lines])
    rows = [(order_id, currency, line) for order_id, currency, lines in orders for line in lines]
    await w.insert("crm_order_line", LINE, [
        (i, tid, order_id, products[line[0]], *line, currency)
        for i, (order_id, currency, line) in zip(await w.next_ids("crm_order_line", len(rows)), rows, strict=True)])


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
    seen: dict[Key, int] = {}
    for row in rows:
        key = _key(row.values)
        if key in seen:
            ctx.fail(row, [err("DUPLICATE_ROW", N_("The same order is on row {line} of this file."), "external_id",
                               line=seen[key])])
            counts.failed += 1
            continue
        seen[key] = row.line
        unique.append(row)

    by_external: dict[tuple[int, str], int] = {}
    wanted = [r.values for r in unique if r.values["customer_external_id"] and r.values["channel_id"] is not None]
    if wanted:
        by_external = {(int(ch), e): int(c) for ch, e, c in await w.fetch(
            "SELECT channel_id, external_id, customer_id FROM crm_identity WHERE tenant_id = ? AND channel_id IN ? "
            "AND external_id IN ?", tid, sorted({v["channel_id"] for v in wanted}),
            sorted({v["customer_external_id"] for v in wanted}))}
    for r in unique:
        r.values["email_hash"] = contact_hash("email", r.values["customer_email"]) \
            if r.values["customer_email"] else None
    hashes = sorted({r.values["email_hash"] for r in unique if r.values["email_hash"]})
    by_email = await customers_by_email(w, tid, hashes)
    ready: list[Row] = []
    for r in unique:
        v = r.values
        customer = by_external.get((v["channel_id"], v["customer_external_id"] or "")) \
            or by_email.get(v["email_hash"] or "")
        if customer is None:
            column = "customer_external_id" if v["customer_external_id"] else "customer_email"
            ctx.fail(r, [err("CUSTOMER_NOT_FOUND", N_("No such customer in this tenant (import the customers "
                                                      "first)."), column)])
            counts.failed += 1
            continue
        v["customer_id"] = customer
        ready.append(r)

    existing: dict[Key, tuple[int, dict[str, Any]]] = {}
    channel_ids = sorted({r.values["channel_id"] for r in ready if r.values["channel_id"] is not None})
    where = (["channel_id IN ?"] if channel_ids else []) + (
        ["channel_id IS NULL"] if any(not r.values["has_channel"] for r in ready) else [])
    if where:  # a new --channel has no orders yet
        sql = (f"SELECT channel_id, external_id, id, {', '.join(COMPARED)} FROM crm_order "  # noqa: S608
               f"WHERE tenant_id = ? AND ({' OR '.join(where)}) AND external_id IN ?")
        for rec in await w.fetch(sql, tid, *([channel_ids] if channel_ids else []),
                                 [r.values["external_id"] for r in ready]):
            channel_id = None if rec[0] is None else int(rec[0])
            existing[(channel_id is not None, channel_id, rec[1])] = (
                int(rec[2]), {n: _stored(n, x) for n, x in zip(COMPARED, rec[3:], strict=True)})
    new: list[Row] = []
    updates: list[tuple[Any, ...]] = []
    relined: list[tuple[int, str, list[Line]]] = []  # orders whose lines are written: id, currency, lines
    stored_lines = await _stored_lines(w, tid, [m[0] for m in existing.values()]) if ctx.lines else {}
    for r in ready:
        v = r.values
        match = existing.get(_key(v))
        if match is None:
            new.append(r)
            continue
        order_id, stored = match
        same_lines = not ctx.lines or stored_lines.get(order_id) == _lines(v)
        if same_lines and all(stored[n] == v[n] for n in COMPARED):
            counts.unchanged += 1
        elif ctx.on_conflict == "skip":
            counts.skipped += 1
        else:
            counts.updated += 1
            updates.append((*(v[n] for n in COMPARED), order_id, tid))
            if not same_lines:
                relined.append((order_id, v["currency"], _lines(v)))
    channels = [await ctx.row_channel(w, r.values) for r in new]
    if ctx.dry_run:
        counts.created += len(new)
        return counts
    records = [(i, tid, channel_id, r.values["external_id"], *(r.values[n] for n in COMPARED))
               for i, r, channel_id in zip(await w.next_ids("crm_order", len(new)), new, channels, strict=True)]
    written = await w.insert("crm_order", ORDER, records, conflict=("tenant_id", "channel_id", "external_id"))
    counts.created += written
    counts.skipped += len(records) - written  # written meanwhile by another import
    await w.executemany(UPDATE, updates)
    if ctx.lines:
        ids = [rec[0] for rec in records]
        if written < len(records):
            inserted = {int(i) for (i,) in await w.fetch("SELECT id FROM crm_order WHERE tenant_id = ? AND id IN ?",
                                                         tid, ids)}
            ids = [i if i in inserted else None for i in ids]
        relined += [(i, r.values["currency"], _lines(r.values)) for i, r in zip(ids, new, strict=True)
                    if i is not None]
        await _write_lines(w, tid, relined)
    return counts
