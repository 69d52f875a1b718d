"""A mutation's Idempotency-Key and the response it got (core/idempotency.py).

The row is inserted when the mutation starts and given its response when it ends, both in the
mutation's own transaction: a committed row always has the response of writes that committed
with it. The response is encrypted at rest like contact data (it may hold e-mails and phones).
"""

from tortoise import fields

from core.encrypted_field import EncryptedTextField
from core.models.tenant import TenantModel


class IdempotencyKey(TenantModel):
    id = fields.BigIntField(primary_key=True)
    principal = fields.CharField(max_length=40)  # who sent it: "user:<id>" or "api_key:<id>"
    key = fields.CharField(max_length=255)
    fingerprint = fields.CharField(max_length=64)  # sha256 (hex) of operationName, query and variables
    response = EncryptedTextField(null=True)  # the JSON answered; null only while its transaction runs
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)  # purged a day later

    class Meta:
        table = "core_idempotency_key"
        unique_together = (("tenant", "principal", "key"),)
