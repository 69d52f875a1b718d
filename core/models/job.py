"""A job a user waits for (an import, an export): its record, the durable half of an arq job.

arq keeps the job only in Redis; this row keeps what a flushed or restarted Redis would lose: the
function and arguments to queue it again, the module's status document the user polls, and the
state that says whether anything is still owed (core/jobs.py).
"""

from typing import Any

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models.tenant import TenantModel


class Job(TenantModel):
    id = fields.CharField(max_length=32, primary_key=True)  # uuid4 hex, the id the user is given
    function = fields.CharField(max_length=100)  # the arq job's name, `<module>.<job>`
    # The arq job's arguments as JSON, encrypted like contact data: an export's search may be an e-mail.
    args = EncryptedTextField()
    document: Any = fields.JSONField()  # the module's status document (progress, counts, errors)
    status = fields.CharField(max_length=10, default="queued")  # queued | running | done | failed
    error = fields.CharField(max_length=40, default="")  # why it failed, a code (WORKER_LOST...)
    attempts = fields.IntField(default=1)  # times queued: 1, plus one per re-queue of a lost job
    heartbeat_at = fields.DatetimeField()  # last saved: a running job saves at least every BEAT_EVERY
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True, db_index=True)  # done or failed; purged a day later

    class Meta:
        table = "core_job"
        indexes = (("status", "heartbeat_at"), ("tenant_id", "created_at"))
