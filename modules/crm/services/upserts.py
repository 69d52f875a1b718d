"""Customers and orders from a platform (a connector's page, a webhook), written by the importer's rules.

A connector gives its records as the importer's cells (column name to string: the columns of
docs/scripts.md, an order's lines under "lines"), so a platform record is validated, matched and
written exactly as a row of an imported file would be: customers by their identity on the channel
(else their e-mail), orders by (tenant, channel, external id), products by SKU, lines replaced when
they differ, "update" on conflict. The whole batch is one transaction.

A `Guard` runs inside that transaction: `admit` says which external ids may be written (a sync
engine refusing a record older than what it already applied), `written` records what was (its own
bookkeeping, committed with the data or not at all). It reaches the database only through the
`BatchWriter` it is given (SQL with `?` and `IN ?` placeholders, either dialect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import SalesChannel
from modules.crm.services import custom_fields
from modules.crm.services.errors import crm_error
from modules.crm.services.importer.columns import Channels, validate_customer, validate_later_line, validate_order
from modules.crm.services.importer.context import Context, Counts, Row
from modules.crm.services.importer.customers import write_customers
from modules.crm.services.importer.lines import MAX_LINES
from modules.crm.services.importer.orders import write_orders
from modules.crm.services.importer.writer import Writer, open_writer

BatchWriter = Writer
KINDS = ("customers", "orders")
Cells = Mapping[str, Any]  # column -> string; an order's "lines": a sequence of line cells


class Guard(Protocol):
    async def admit(self, w: BatchWriter, external_ids: list[str]) -> set[str]:
        """The external ids of this batch that may be written."""
        ...

    async def written(self, w: BatchWriter, external_ids: list[str]) -> None:
        """Called after the batch's records were written, in the same transaction."""
        ...


@dataclass
class UpsertResult:
    counts: Counts = field(default_factory=Counts)
    refused: dict[str, list[UserFacingError]] = field(default_factory=dict)  # external id -> why
    stale: int = 0  # records the guard did not admit


def _validate(kind: str, cells: Cells, channels: Channels, defs: Mapping[str, Any]) -> dict[str, Any]:
    """The importer's clean values of one record; raises UserFacingErrors."""
    if kind == "customers":
        return validate_customer({k: str(v) for k, v in cells.items()}, channels, defs)
    head = {k: str(v) for k, v in cells.items() if k != "lines"}
    lines = list(cells.get("lines") or [])
    if not 0 < len(lines) <= MAX_LINES:
        raise UserFacingErrors([crm_error("INVALID_LINES", N_("An order has 1 to {max} lines."), ["lines"],
                                          max=MAX_LINES)])
    first = validate_order({**head, **{k: str(v) for k, v in lines[0].items()}}, channels)
    values = {**first, "lines": [first["line"]] + [
        validate_later_line(first, {k: str(v) for k, v in line.items()})["line"] for line in lines[1:]]}
    if not head.get("subtotal"):
        values["subtotal"] = sum(x["quantity"] * x["unit_price"] for x in values["lines"])
    return values


async def upsert_records(tenant_id: int, channel_id: int, kind: str, records: Sequence[Cells],
                         guard: Guard | None = None) -> UpsertResult:
    """Create or update these customers or orders of one of the tenant's channels, in one transaction.
    A record whose cells are wrong is left out and named in `refused` (the rest is written)."""
    if kind not in KINDS:
        raise ValueError(f"upsert of {kind!r}")
    channel = await scoped(SalesChannel, tenant_id).filter(id=channel_id).first()
    if channel is None:
        raise crm_error("NOT_FOUND", N_("No such sales channel."), ["channelId"])
    channels = Channels({channel.name: channel.id}, channel.name, channel.id)
    defs = await custom_fields.definitions(tenant_id) if kind == "customers" else {}
    result = UpsertResult()

    def fail(row: Row, errors: list[UserFacingError]) -> None:
        result.refused[row.values.get("external_id") or str(row.line)] = errors

    ctx = Context(tenant_id, channels, "update", False, fail, custom_defs=defs, lines=kind == "orders")
    rows: list[Row] = []
    for line, cells in enumerate(records, start=1):
        row = Row(line, [])
        try:
            row.values = _validate(kind, cells, channels, defs)
        except UserFacingErrors as exc:
            result.refused[str(cells.get("external_id") or line)] = list(exc.errors)
            result.counts.failed += 1
            continue
        rows.append(row)
    write = write_customers if kind == "customers" else write_orders
    async with open_writer() as w, w.transaction():
        ids = [r.values["external_id"] for r in rows]
        admitted = set(ids) if guard is None else await guard.admit(w, ids)
        fresh = [r for r in rows if r.values["external_id"] in admitted]
        result.stale = len(rows) - len(fresh)
        counts = await write(w, ctx, fresh)
        result.counts.add(counts)
        if guard is not None:
            await guard.written(w, [r.values["external_id"] for r in fresh
                                    if r.values["external_id"] not in result.refused])
    return result
