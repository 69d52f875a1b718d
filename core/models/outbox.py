"""The transactional outbox: events written with the data that causes them, relayed to arq later."""

from typing import Any

from tortoise import fields
from tortoise.models import Model


class OutboxEvent(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.BigIntField(null=True)
    topic = fields.CharField(max_length=100)
    payload: Any = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    relayed_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "core_outbox"


class EventReceipt(Model):
    """One row per (event, handler) that ran: what makes a handler idempotent under retries."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.UUIDField()
    handler = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_event_receipt"
        unique_together = (("event_id", "handler"),)
