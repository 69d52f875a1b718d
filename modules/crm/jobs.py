"""The crm module's background work: customer exports, bulk imports of uploaded files, the purge of old
export files, and the nightly RFM scores and lifecycle stages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from arq import cron, func

from core import exports as core_exports
from core.graphql.node import to_global_id
from core.registry import WorkerContribution
from modules.crm.graphql.types import CustomerType
from modules.crm.services import exports, imports, rfm


async def export_customers(ctx: dict[str, Any], export_id: str, tenant_id: int, filter_args: dict[str, Any],
                           pii: bool, region: str | None, locale: str) -> int:
    """Build one export file (see modules.crm.services.exports); returns the number of rows."""
    rt = ctx["rt"]
    return await exports.run_export(rt.settings, export_id, tenant_id, filter_args, pii, region, locale,
                                    lambda pk: to_global_id(CustomerType, pk))


async def import_file(ctx: dict[str, Any], import_id: str, tenant_id: int, user_id: int, kind: str, suffix: str,
                      channel_id: int | None, dry_run: bool, on_conflict: str) -> dict[str, int]:
    """Import one uploaded file (see modules.crm.services.imports); returns the counts."""
    rt = ctx["rt"]
    return await imports.run_job(rt.settings, import_id, tenant_id, user_id, kind, suffix, channel_id,
                                 dry_run, on_conflict)


async def purge_exports(ctx: dict[str, Any]) -> int:
    """Delete export files older than a day (their job records are purged then: core.jobs.KEEP); uploads
    of imports that never ran within a day; and what killed jobs left."""
    settings = ctx["rt"].settings
    exported = await asyncio.to_thread(core_exports.purge_files, settings)
    uploaded = await asyncio.to_thread(core_exports.purge_tree, Path(settings.var_dir) / "imports")
    return exported + uploaded


async def recompute_scores(ctx: dict[str, Any]) -> dict[int, int]:
    """Every tenant's RFM scores and stages, from the orders (nothing to lose if Redis is flushed)."""
    return {tenant_id: await rfm.recompute(tenant_id) for tenant_id in await rfm.tenants_with_orders()}


worker = WorkerContribution(
    functions=[func(export_customers, name=exports.JOB_NAME, timeout=3600, max_tries=3),
               func(import_file, name=imports.JOB_NAME, timeout=3600, max_tries=3)],
    cron_jobs=[cron(purge_exports, name="crm.purge_exports", minute={41}, unique=True, timeout=600),
               cron(recompute_scores, name="crm.recompute_scores", hour={2}, minute={13}, unique=True,
                    timeout=3600)],
)
