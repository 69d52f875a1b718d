"""How far a (sales channel, resource) is mirrored: the newest `updated_at` of a committed batch."""

from tortoise import fields

from core.models import TenantModel
from modules.crm.models import SalesChannel


class Watermark(TenantModel):
    id = fields.BigIntField(primary_key=True)
    channel: fields.ForeignKeyRelation[SalesChannel] = fields.ForeignKeyField(
        "crm.SalesChannel", related_name="sync_watermarks", on_delete=fields.CASCADE)
    resource = fields.CharField(max_length=32)
    updated_at = fields.DatetimeField()
    saved_at = fields.DatetimeField(auto_now=True)
    channel_id: int

    class Meta:
        table = "sync_watermark"
        unique_together = (("tenant", "channel", "resource"),)
        indexes = (("channel_id",),)
