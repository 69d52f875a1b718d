"""What an agent can handle: languages (BCP 47) and categories, used by ticket routing."""

from tortoise import fields

from core.models import TenantModel


class AgentSkill(TenantModel):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.User", related_name="skills", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)  # "language" | "category"
    value = fields.CharField(max_length=64)
    user_id: int

    class Meta:
        table = "team_agent_skill"
        unique_together = (("tenant", "user", "kind", "value"),)
