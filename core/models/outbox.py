"""The transactional outbox: events written with the data that causes them, relayed to arq later,
and owed until every handler has committed (core/events.py)."""

from typing import Any

from tortoise import fields
from tortoise.models import Model


class OutboxEvent(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.BigIntField(null=True)
    topic = fields.CharField(max_length=100)
    payload: Any = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    relayed_at = fields.DatetimeField(null=True, db_index=True)  # last sent to arq
    # When the relay may send it (again): after a failed delivery's back-off, or once the last one
    # had time to finish (a lost job: Redis flushed or restarted, a worker killed). Null: now.
    next_attempt_at = fields.DatetimeField(null=True)
    handled_at = fields.DatetimeField(null=True)  # every handler committed: nothing more is owed
    attempts = fields.IntField(default=0, db_default=0)  # deliveries that failed
    # the exception's type and public code, never its text
    last_error = fields.CharField(max_length=200, default="", db_default="")
    failed_at = fields.DatetimeField(null=True)  # gave up after MAX_ATTEMPTS: an operator looks at it

    class Meta:
        table = "core_outbox"
        # The second: a tenant's newest events of a topic (automation's dry run of a rule).
        indexes = (("handled_at", "failed_at", "next_attempt_at"), ("tenant_id", "topic", "created_at"))


class EventReceipt(Model):
    """One row per (event, handler) that ran: what makes a handler idempotent under retries."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.UUIDField()
    handler = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_event_receipt"
        unique_together = (("event_id", "handler"),)
