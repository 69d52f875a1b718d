"""Rules and their firings."""

from modules.automation.models.firing import RuleFiring
from modules.automation.models.rule import Rule

__all__ = ["Rule", "RuleFiring"]
