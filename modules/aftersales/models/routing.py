"""Routing rules (which team gets a new ticket, and how an agent is chosen) and the per-team
round-robin cursor, kept in the database so every API process continues the same rotation."""

from typing import Any

from tortoise import fields

from core.models import TenantModel

STRATEGIES = ("round_robin", "least_loaded")


class RoutingRule(TenantModel):
    id = fields.BigIntField(primary_key=True)
    position = fields.IntField()  # first matching active rule (lowest position) wins
    name = fields.CharField(max_length=100)
    conditions: Any = fields.JSONField(default=dict)
    team: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "team.Team", related_name="routing_rules", on_delete=fields.CASCADE)
    strategy = fields.CharField(max_length=16, default="round_robin")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    team_id: int

    class Meta:
        table = "aftersales_routing_rule"
        indexes = (("tenant_id", "position"), ("team_id",))


class RoundRobinCursor(TenantModel):
    """The agent a team's rotation gave the last ticket to, locked while the next one is chosen."""

    id = fields.BigIntField(primary_key=True)
    team: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "team.Team", related_name="round_robin_cursor", on_delete=fields.CASCADE)
    last_user_id = fields.BigIntField(null=True)
    team_id: int

    class Meta:
        table = "aftersales_round_robin_cursor"
        unique_together = (("team",),)
