"""The team module's tables: teams of agents and the agents' skills."""

from modules.team.models.skill import AgentSkill
from modules.team.models.team import Team, TeamMember

__all__ = ["AgentSkill", "Team", "TeamMember"]
