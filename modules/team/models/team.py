"""A team of agents with its own time zone and working hours (the basis of SLA clocks)."""

from typing import Any

from tortoise import fields

from core.models import TenantModel


class Team(TenantModel):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    timezone = fields.CharField(max_length=64, default="UTC")
    # {"mon": [["09:00", "18:00"]], ...}; a missing day is a day off.
    working_hours: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team_team"
        unique_together = (("tenant", "name"),)


class TeamMember(TenantModel):
    id = fields.BigIntField(primary_key=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "team.Team", related_name="members", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.User", related_name="team_memberships", on_delete=fields.CASCADE
    )
    team_id: int
    user_id: int

    class Meta:
        table = "team_member"
        unique_together = (("team", "user"),)
        indexes = (("user_id",),)  # foreign keys (tests/test_indexes.py)
