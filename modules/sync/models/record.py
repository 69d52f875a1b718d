"""The platform's `updated_at` of each record applied, keyed like the record itself.

A version older than this is never applied again: a re-run, an overlapping page, a webhook retried
or arriving out of order cannot regress the record. Written in the transaction of the data.
"""

from tortoise import fields

from core.models import TenantModel


class SyncedRecord(TenantModel):
    id = fields.BigIntField(primary_key=True)
    channel_id = fields.BigIntField()  # crm_channel's id (the row goes when its tenant does)
    resource = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=128)
    updated_at = fields.DatetimeField(null=True)  # None: claimed by a batch, not applied yet

    class Meta:
        table = "sync_record"
        unique_together = (("tenant", "channel_id", "resource", "external_id"),)
