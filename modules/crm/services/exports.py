"""Customer exports to XLSX: requested through the API, built by the arq job `crm.export_customers`,
downloaded through a signed, expiring URL.

- The export is a core.jobs record: its status (ExportStatus) is in the database, kept a day after it
  finished, so a flushed Redis loses neither the status nor the queued job (core.jobs.requeue queues
  it again). A re-run rebuilds the file from scratch.
- The file is `<var_dir>/exports/<tenant id>/<export id>.xlsx`, written as `.part` and renamed when
  complete, so a file that exists is a finished export. API and worker processes must share var_dir.
- Contact data is masked unless the requester held crm.customer.pii:read when asking (recorded in
  the job's arguments). Cells are written as typed values with `strings_to_formulas` off: a name
  like `=HYPERLINK(...)` stays text.
- Files and signed download links are core's (`core.exports`): any module's exports work the same.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from arq.connections import ArqRedis
from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from core import jobs, money
from core.auth.principal import Principal
from core.exports import export_path, scratch_dir
from core.heartbeat import beating
from core.i18n import N_, translate
from core.masking import mask_email, mask_phone
from core.settings import Settings
from core.tenancy import scoped
from modules.crm.models import CustomerContact, CustomerTag, Order, Tag
from modules.crm.services.search import CustomerFilter, filter_customers

log = logging.getLogger(__name__)

JOB_NAME = "crm.export_customers"
BATCH = 500
STATUSES = ("PENDING", "RUNNING", "DONE", "FAILED")
# The export's words for core.jobs' states, and back.
_STATE = dict(zip((jobs.QUEUED, jobs.RUNNING, jobs.DONE, jobs.FAILED), STATUSES, strict=True))
_JOB_STATE = {v: k for k, v in _STATE.items()}

HEADERS = (N_("Customer ID"), N_("Name"), N_("E-mails"), N_("Phones"), N_("Country"), N_("Language"), N_("Tier"),
           N_("Stage"), N_("Tags"), N_("Orders"))
SPENT_HEADER = N_("Spent ({currency})")


# --- status -----------------------------------------------------------------------------------

@dataclass
class ExportStatus:
    id: str
    tenant_id: int
    user_id: int
    status: str
    pii: bool
    created_at: str
    rows: int = 0
    finished_at: str | None = None
    error: str | None = None
    heartbeat_at: str | None = None  # last saved (core/heartbeat.py), from the record


async def get_status(tenant_id: int, export_id: str) -> ExportStatus | None:
    """The export's status, only within the tenant; None when unknown, purged or malformed."""
    job = await jobs.load(tenant_id, export_id)
    if job is None or job.function != JOB_NAME:
        return None
    known = {f.name for f in fields(ExportStatus)}
    status = ExportStatus(**{k: v for k, v in job.document.items() if k in known})
    state, error = jobs.state(job)
    status.status, status.heartbeat_at = _STATE[state], job.heartbeat_at.isoformat()
    if error == jobs.WORKER_LOST:
        status.error, status.finished_at = error, (job.finished_at or job.heartbeat_at).isoformat()
    return status


async def _save(status: ExportStatus) -> None:
    await jobs.save(status.id, asdict(status), _JOB_STATE[status.status], status.error or "")


# --- request ----------------------------------------------------------------------------------

def filter_to_args(f: CustomerFilter) -> dict[str, Any]:
    """The filter as JSON-safe job arguments (datetimes as ISO 8601)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(f).items()}


def filter_from_args(args: dict[str, Any]) -> CustomerFilter:
    f = CustomerFilter(**args)
    for name in ("last_order_from", "last_order_to"):
        value = getattr(f, name)
        if isinstance(value, str):
            setattr(f, name, datetime.fromisoformat(value))
    return f


async def request_export(redis: ArqRedis, actor: Principal, f: CustomerFilter, *, pii: bool,
                         region: str | None, locale: str) -> ExportStatus:
    """Submit a PENDING export (core.jobs). `pii` is whether the requester may see contact data
    now; the job masks it otherwise."""
    status = ExportStatus(id=jobs.new_id(), tenant_id=actor.tenant_id, user_id=actor.user, status="PENDING",
                          pii=pii, created_at=datetime.now(UTC).isoformat())
    await jobs.submit(redis, actor.tenant_id, JOB_NAME,
                      [status.id, actor.tenant_id, filter_to_args(f), pii, region, locale], asdict(status),
                      job_id=status.id)
    return status


# --- files ------------------------------------------------------------------------------------

# --- the job ----------------------------------------------------------------------------------

async def _contacts(tenant_id: int, ids: list[int]) -> dict[int, dict[str, list[str]]]:
    result: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"email": [], "phone": []})
    rows = await scoped(CustomerContact, tenant_id).filter(customer_id__in=ids).order_by("-is_primary", "id")
    for row in rows:
        result[row.customer_id].setdefault(row.kind, []).append(row.value)
    return result


async def _tags(tenant_id: int, ids: list[int]) -> dict[int, list[str]]:
    links = await scoped(CustomerTag, tenant_id).filter(customer_id__in=ids).values_list("customer_id", "tag_id")
    names = dict(await scoped(Tag, tenant_id).filter(id__in={t for _, t in links}).values_list("id", "name"))
    result: dict[int, list[str]] = defaultdict(list)
    for customer_id, tag_id in links:
        if tag_id in names:
            result[customer_id].append(str(names[tag_id]))
    return {c: sorted(v) for c, v in result.items()}


async def _stats(tenant_id: int, ids: list[int]) -> dict[int, tuple[int, dict[str, int]]]:
    """Per customer: order count and spend per currency (cancelled orders excluded, as in the API)."""
    rows = await (scoped(Order, tenant_id).filter(customer_id__in=ids).exclude(status="cancelled")
                  .annotate(n=Count("id"), spent=Sum("total")).group_by("customer_id", "currency")
                  .values("customer_id", "currency", "n", "spent"))
    result: dict[int, tuple[int, dict[str, int]]] = {}
    for r in rows:
        count, spent = result.get(r["customer_id"], (0, {}))
        spent[r["currency"]] = int(r["spent"] or 0)
        result[r["customer_id"]] = (count + int(r["n"]), spent)
    return result


def _text(values: Iterable[str]) -> str:
    return ", ".join(values)


async def write_customers(path: Path, tenant_id: int, f: CustomerFilter, *, pii: bool, region: str | None,
                          locale: str, global_id: Any, scratch: Path | None = None) -> int:
    """Stream the filtered customers, in id order and keyset batches, into an XLSX at `path`."""
    base = filter_customers(tenant_id, f, region)
    currencies = sorted(str(c) for c in await (
        scoped(Order, tenant_id).filter(customer_id__in=Subquery(base.values("id"))).exclude(status="cancelled")
        .distinct().values_list("currency", flat=True)))
    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "constant_memory": True, "tmpdir": str(scratch or path.parent)})
    rows = 0
    try:
        sheet = workbook.add_worksheet("Customers")
        bold = workbook.add_format({"bold": True})
        amount = {c: workbook.add_format({"num_format": "0." + "0" * money.exponent(c) if money.exponent(c) else "0"})
                  for c in currencies}
        headers = [translate("crm", h, locale) for h in HEADERS]
        headers += [translate("crm", SPENT_HEADER, locale, currency=c) for c in currencies]
        for col, header in enumerate(headers):
            sheet.write_string(0, col, header, bold)
        sheet.set_column(0, 0, 22)
        sheet.set_column(1, 3, 30)
        sheet.freeze_panes(1, 0)
        last = 0
        while True:
            batch = await base.filter(id__gt=last).order_by("id").limit(BATCH)
            if not batch:
                break
            ids = [c.id for c in batch]
            contacts, tags, stats = (await _contacts(tenant_id, ids), await _tags(tenant_id, ids),
                                     await _stats(tenant_id, ids))
            for customer in batch:
                rows += 1
                emails = contacts[customer.id]["email"] if customer.id in contacts else []
                phones = contacts[customer.id]["phone"] if customer.id in contacts else []
                if not pii:
                    emails, phones = [mask_email(e) for e in emails], [mask_phone(p) for p in phones]
                count, spent = stats.get(customer.id, (0, {}))
                texts = [str(global_id(customer.id)), customer.display_name, _text(emails), _text(phones),
                         customer.country or "", customer.language or "", customer.tier, customer.stage,
                         _text(tags.get(customer.id, []))]
                for col, value in enumerate(texts):
                    sheet.write_string(rows, col, value)
                sheet.write_number(rows, len(texts), count)
                for i, currency in enumerate(currencies):
                    if currency in spent:
                        sheet.write_number(rows, len(texts) + 1 + i,
                                           float(money.to_decimal(spent[currency], currency)), amount[currency])
            last = ids[-1]
            await asyncio.sleep(0)  # let the API breathe when the worker runs in-process
    finally:
        await asyncio.to_thread(workbook.close)
    return rows


async def run_export(settings: Settings, export_id: str, tenant_id: int, filter_args: dict[str, Any],
                     pii: bool, region: str | None, locale: str, global_id: Any) -> int:
    """The job's body: RUNNING, the file (atomically), then DONE with the row count, or FAILED.
    Safe to run again (arq after a killed worker, core.jobs.requeue after a lost Redis): it rebuilds
    the file from scratch."""
    status = await get_status(tenant_id, export_id)
    if status is None:  # purged, or its tenant deleted: nothing is owed
        log.warning("export %s of tenant %s has no record: not run", export_id, tenant_id)
        return 0
    status.status, status.error, status.finished_at, status.rows = "RUNNING", None, None, 0
    await _save(status)
    final = export_path(settings, tenant_id, export_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    scratch = scratch_dir(settings, tenant_id, export_id)
    scratch.mkdir(exist_ok=True)
    try:
        async with beating(lambda: _save(status)):
            rows = await write_customers(part, tenant_id, filter_from_args(filter_args), pii=pii, region=region,
                                         locale=locale, global_id=global_id, scratch=scratch)
        os.replace(part, final)
    except BaseException as exc:  # a cancelled job (worker stopping) cleans up too
        log.error("export %s of tenant %s failed: %s", export_id, tenant_id, type(exc).__name__)
        part.unlink(missing_ok=True)
        if isinstance(exc, Exception):
            status.status, status.error = "FAILED", "EXPORT_FAILED"
            status.finished_at = datetime.now(UTC).isoformat()
            await _save(status)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    status.status, status.rows, status.finished_at = "DONE", rows, datetime.now(UTC).isoformat()
    await _save(status)
    return rows
