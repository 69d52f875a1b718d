"""Rules, their firings, and the firings that wait for their time."""

from modules.automation.models.due import DueFiring
from modules.automation.models.firing import RuleFiring
from modules.automation.models.rule import Rule

__all__ = ["DueFiring", "Rule", "RuleFiring"]
