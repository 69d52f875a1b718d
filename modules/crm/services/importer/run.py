"""An import run: read, check the header, validate each row, write in batches, audit, summarise.

Each batch is one transaction, so a run killed half-way leaves whole batches behind, and running the
same file again finds them ("unchanged") and writes the rest: the counts end exact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import Tenant
from core.tenancy import scoped
from modules.crm.models import SalesChannel
from modules.crm.services import custom_fields
from modules.crm.services.importer.columns import (
    SPECS,
    Channels,
    check_header,
    err,
    validate_customer,
    validate_later_line,
    validate_order,
)
from modules.crm.services.importer.context import Context, Counts, Row
from modules.crm.services.importer.customers import write_customers
from modules.crm.services.importer.lines import MAX_LINES, continued, group_orders, same_order
from modules.crm.services.importer.orders import write_orders
from modules.crm.services.importer.progress import Progress
from modules.crm.services.importer.readers import open_table
from modules.crm.services.importer.report import ErrorReport
from modules.crm.services.importer.writer import open_writer

DEFAULT_BATCH = 2000
# Tests only: raise after this many committed batches (a crash half-way through a run).
FAIL_AFTER_ENV = "SELLERCARE_IMPORT_FAIL_AFTER_BATCHES"


@dataclass
class ImportOptions:
    kind: str  # "customers" | "orders"
    path: Path
    tenant: str  # slug
    channel: str | None = None
    dry_run: bool = False
    on_conflict: str = "skip"  # "skip" | "update"
    errors: Path | None = None  # XLSX report of the bad rows
    batch_size: int = DEFAULT_BATCH
    actor: Principal | None = None  # who asked (through the API); None: a script run
    file_name: str | None = None  # as uploaded, for the audit entry (default: the path's name)


@dataclass
class ImportResult:
    counts: Counts  # customers or orders (an order of several line rows counts once)
    rows: int = 0  # data rows read
    channel_created: bool = False  # --channel was new: created (dry run: would be) with its first record
    # (row, column, code) of the first bad rows: never a value, so safe to print
    samples: list[tuple[int, str, str]] = field(default_factory=list)


class InjectedFailure(RuntimeError):
    pass


async def _channels(tenant_id: int, name: str | None) -> Channels:
    """The tenant's channels, and the file's (--channel), checked: its id is None when the tenant has no
    channel by that name (it is created with the first record that belongs to it: Context.file_channel)."""
    names = {str(n): int(i) for n, i in await scoped(SalesChannel, tenant_id).values_list("name", "id")}
    if not name:
        return Channels(names)
    name = name.strip()
    if not name or len(name) > 100:
        raise err("INVALID_CHANNEL", N_("A channel name has 1 to 100 characters."), "channel")
    return Channels(names, name, names.get(name))


async def run_import(opts: ImportOptions, progress: Progress | None = None) -> ImportResult:
    """Raises UserFacingError(s) for a whole-file problem, before anything is written."""
    if opts.kind not in SPECS:
        raise err("INVALID_KIND", N_("Import customers or orders."))
    if opts.on_conflict not in ("skip", "update"):
        raise err("INVALID_ON_CONFLICT", N_("--on-conflict is update or skip."))
    spec = SPECS[opts.kind]
    tenant = await Tenant.filter(slug=opts.tenant).first()
    if tenant is None:
        raise err("NO_TENANT", N_("No tenant with slug {slug}."), slug=opts.tenant)
    table = open_table(opts.path, spec.columns)
    report: ErrorReport | None = None
    progress = progress or Progress()
    result = ImportResult(Counts())
    try:
        custom_defs = await custom_fields.definitions(tenant.id) if opts.kind == "customers" else {}
        names = check_header(spec, table.header, opts.channel, custom_defs)
        channels = await _channels(tenant.id, opts.channel)
        if opts.errors:
            report = ErrorReport(opts.errors, table.header)

        def fail(row: Row, errors: list[UserFacingError]) -> None:
            if report is not None:
                for member in row.members or [row]:
                    report.add(member.line, member.cells, errors)
            for e in errors[: max(0, 5 - len(result.samples))]:
                result.samples.append((row.line, e.field[0] if e.field else "", e.code))

        ctx = Context(tenant.id, channels, opts.on_conflict, opts.dry_run, fail,
                      custom_defs=custom_defs, lines="sku" in names)
        write = write_customers if opts.kind == "customers" else write_orders
        fail_after = int(os.environ.get(FAIL_AFTER_ENV) or 0)
        batches = 0
        progress.track(result.counts)
        progress.start(table.total)
        async with open_writer() as writer:
            batch: list[tuple[int, list[str]]] = []

            async def flush() -> None:
                nonlocal batches
                counts = Counts()
                checked: list[tuple[Row, list[UserFacingError]]] = []
                order_first = Row(0, [])  # the first row of the current order (a file with line columns)
                first_errors: list[UserFacingError] = []  # that row's errors
                for line, cells in batch:
                    row = Row(line, cells)
                    continues = ctx.lines and bool(checked) and same_order(names, checked[-1][0].cells, cells)
                    checked.append((row, []))
                    if not continues:
                        order_first, first_errors = row, checked[-1][1]
                    if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
                        checked[-1][1].append(err("TOO_MANY_CELLS", N_("The row has {count} cells; the header "
                                                                       "has {max}."), count=len(cells), max=len(names)))
                        continue
                    values = dict(zip(names, cells, strict=False))
                    mismatch: list[UserFacingError] = []
                    if continues:
                        values, mismatch = continued(names, order_first, values)
                        checked[-1][1].extend(mismatch)
                    try:
                        if opts.kind == "customers":
                            row.values = validate_customer(values, channels, custom_defs)
                        elif continues and not mismatch and not first_errors and order_first.values:
                            row.values = validate_later_line(order_first.values, values)
                        else:
                            row.values = validate_order(values, channels)
                    except UserFacingErrors as exc:
                        checked[-1][1].extend(exc.errors)
                if ctx.lines:
                    good, counts.failed = group_orders(names, checked, fail)
                else:
                    good = [row for row, errors in checked if not errors]
                    for row, errors in checked:
                        if errors:
                            fail(row, errors)
                            counts.failed += 1
                async with writer.transaction():
                    counts.add(await write(writer, ctx, good))
                result.counts.add(counts)
                result.rows += len(batch)
                progress.advance(len(batch))
                batch.clear()
                batches += 1
                if not opts.dry_run:
                    await writer.after_batch(batches)
                if fail_after and batches >= fail_after:
                    raise InjectedFailure(f"{FAIL_AFTER_ENV}={fail_after}: stopping after {batches} batches")

            for line, cells in table.rows:
                # An order's lines stay in one batch (up to MAX_LINES of them).
                if len(batch) >= opts.batch_size and not (
                        ctx.lines and len(batch) < opts.batch_size + MAX_LINES
                        and same_order(names, batch[-1][1], cells)):
                    await flush()
                batch.append((line, cells))
            if batch:
                await flush()
        progress.finish()
        result.channel_created = ctx.channel_created
        if not opts.dry_run:
            await audit.record(opts.actor, tenant.id, "crm.import", "Import", opts.kind, None, {
                "kind": opts.kind, "file": (opts.file_name or opts.path.name)[:200], "channel": opts.channel,
                "on_conflict": opts.on_conflict, **result.counts.as_dict()}, via=None if opts.actor else "script")
    finally:
        if table.close is not None:
            table.close()
        if report is not None:
            report.close()
    return result
