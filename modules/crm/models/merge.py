"""A merge of duplicate customers into one, with exactly what moved, so it can be undone."""

from typing import Any

from tortoise import fields

from core.models import TenantModel
from modules.crm.models.customer import Customer


class CustomerMerge(TenantModel):
    id = fields.BigIntField(primary_key=True)
    target: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "crm.Customer", related_name="merges", on_delete=fields.CASCADE)
    source_ids: Any = fields.JSONField()  # [customer id, ...] in the order given
    # {"crm_order": {"<source id>": [row id, ...]}, ..., "demoted_primary": [contact id, ...]}: ids only,
    # never contact data.
    moved: Any = fields.JSONField()
    actor_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    undone_at = fields.DatetimeField(null=True)
    undone_by_id = fields.BigIntField(null=True)
    target_id: int

    class Meta:
        table = "crm_merge"
        indexes = (("target_id",),)
