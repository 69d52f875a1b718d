"""What aftersales knows about an agent beyond the team module: availability, capacity, and the
VIP customers they look after personally."""

from tortoise import fields

from core.models import TenantModel


class AgentProfile(TenantModel):
    """Created on first change: an agent without one is available with no capacity limit."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.User", related_name="aftersales_profiles", on_delete=fields.CASCADE)
    available = fields.BooleanField(default=True)
    max_open_tickets = fields.IntField(null=True)  # None: no limit
    updated_at = fields.DatetimeField(auto_now=True)
    user_id: int

    class Meta:
        table = "aftersales_agent_profile"
        unique_together = (("tenant", "user"),)


class DedicatedAgent(TenantModel):
    """A customer's own agent: their new tickets go straight to this person."""

    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "crm.Customer", related_name="dedicated_agent", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.User", related_name="dedicated_customers", on_delete=fields.CASCADE)
    customer_id: int
    user_id: int

    class Meta:
        table = "aftersales_dedicated_agent"
        unique_together = (("customer",),)
        indexes = (("user_id",),)
