"""The last ticket number given in each tenant: one row per tenant, bumped by one atomic upsert.

A counter row (rather than MAX(number) + 1) gives each concurrent create its own number on both
databases: PostgreSQL locks the row until the transaction ends, SQLite serialises writers.
"""

from tortoise import fields

from core.models import TenantModel


class TicketCounter(TenantModel):
    id = fields.BigIntField(primary_key=True)
    issued = fields.IntField(default=0)  # the last number handed out

    class Meta:
        table = "aftersales_ticket_counter"
        unique_together = (("tenant",),)
