"""SLA settings and escalation history: business-hour calendars, policies, escalation rules and
the record of every escalation that fired (which makes the breach scan idempotent)."""

from typing import Any

from tortoise import fields

from core.models import TenantModel

CLOCKS = ("first_response", "next_response", "resolution")
RULE_CLOCKS = ("any", *CLOCKS)
TRIGGERS = ("breached", "due_soon")


class SlaCalendar(TenantModel):
    """Where a team's public holidays come from (teams have hours and a time zone, no country).

    The row without a team is the tenant's default, used by tickets without a team; its
    `working_hours` (same shape as a team's) apply only there, empty meaning around the clock.
    """

    id = fields.BigIntField(primary_key=True)
    team: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "team.Team", related_name="sla_calendars", null=True, on_delete=fields.CASCADE)
    holiday_country = fields.CharField(max_length=2, default="")  # ISO 3166-1 alpha-2, "" = none
    holiday_subdivision = fields.CharField(max_length=10, default="")  # e.g. "BY" for Bavaria
    working_hours: Any = fields.JSONField(default=dict)
    team_id: int | None

    class Meta:
        table = "aftersales_sla_calendar"
        unique_together = (("tenant", "team"),)


class SlaPolicy(TenantModel):
    """Targets in business minutes for the tickets it matches: the first active match by position wins.

    Empty condition lists match everything; a null target means that clock does not run.
    """

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    position = fields.IntField(default=0)
    active = fields.BooleanField(default=True)
    priorities: Any = fields.JSONField(default=list)
    tiers: Any = fields.JSONField(default=list)
    channels: Any = fields.JSONField(default=list)
    first_response_minutes = fields.IntField(null=True)
    next_response_minutes = fields.IntField(null=True)
    resolution_minutes = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "aftersales_sla_policy"
        unique_together = (("tenant", "name"),)
        indexes = (("tenant_id", "position"),)


class EscalationRule(TenantModel):
    """When a clock of a matching ticket is breached (or due within `within_minutes` wall-clock
    minutes), notify, reassign and/or raise the priority one step."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    position = fields.IntField(default=0)
    active = fields.BooleanField(default=True)
    trigger = fields.CharField(max_length=10, default="breached")  # breached | due_soon
    within_minutes = fields.IntField(default=0)  # due_soon only
    clock = fields.CharField(max_length=16, default="any")  # any | first_response | next_response | resolution
    priorities: Any = fields.JSONField(default=list)  # empty = any priority
    team: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "team.Team", related_name="escalation_rules", null=True, on_delete=fields.CASCADE)
    notify = fields.BooleanField(default=False)
    reassign_user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="escalation_rules", null=True, on_delete=fields.SET_NULL)
    reassign_team: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "team.Team", related_name="escalation_targets", null=True, on_delete=fields.SET_NULL)
    raise_priority = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    team_id: int | None
    reassign_user_id: int | None
    reassign_team_id: int | None

    class Meta:
        table = "aftersales_escalation_rule"
        unique_together = (("tenant", "name"),)
        indexes = (("tenant_id", "position"), ("team_id",), ("reassign_team_id",), ("reassign_user_id",))


class EscalationRecord(TenantModel):
    """One rule fired on one ticket for one deadline: the unique key is what "at most once per
    breach" means, so a re-run scan (or two workers at once) cannot fire it again."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "aftersales.Ticket", related_name="escalations", on_delete=fields.CASCADE)
    rule: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "aftersales.EscalationRule", related_name="records", null=True, on_delete=fields.SET_NULL)
    rule_name = fields.CharField(max_length=100)  # kept when the rule is deleted
    clock = fields.CharField(max_length=16)
    trigger = fields.CharField(max_length=10)
    due_at = fields.DatetimeField()
    level = fields.IntField()
    actions: Any = fields.JSONField(default=list)  # [{"type": "notify"}, {"type": "reassign", ...}, ...]
    created_at = fields.DatetimeField(auto_now_add=True)
    ticket_id: int
    rule_id: int | None

    class Meta:
        table = "aftersales_escalation_record"
        unique_together = (("ticket", "rule", "clock", "trigger", "due_at"),)
        indexes = (("ticket_id", "created_at"), ("rule_id",))
