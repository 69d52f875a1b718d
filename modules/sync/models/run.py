"""One backfill or incremental run of a (sales channel, resource): its progress and outcome."""

from typing import Any

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import SalesChannel

RESOURCES = ("orders", "customers")
MODES = ("backfill", "incremental")
STATUSES = ("queued", "running", "done", "failed")


class SyncRun(TenantModel):
    """Kept after its core.jobs record is purged: the channel's sync history. `counts` holds the
    crm upsert counts (created, updated, unchanged, failed) and `stale` (older than stored)."""

    id = fields.BigIntField(primary_key=True)
    job_id = fields.CharField(max_length=32, unique=True)  # its core.jobs record
    channel: fields.ForeignKeyRelation[SalesChannel] = fields.ForeignKeyField(
        "crm.SalesChannel", related_name="sync_runs", on_delete=fields.CASCADE)
    resource = fields.CharField(max_length=32)
    mode = fields.CharField(max_length=16)
    status = fields.CharField(max_length=16, default="queued")
    since = fields.DatetimeField(null=True)  # the watermark minus the overlap the run started from
    pages = fields.IntField(default=0)
    records = fields.IntField(default=0)
    counts: Any = fields.JSONField(default=dict)
    error = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    channel_id: int

    class Meta:
        table = "sync_run"
        # a channel's runs, newest first (syncRuns)
        indexes = (("channel_id",), ("tenant_id", "channel_id", "id"))
