"""The loyalty program, its rules and tiers, and the ledger: entries, lots, allocations."""

from modules.loyalty.models.account import Account
from modules.loyalty.models.allocation import Allocation
from modules.loyalty.models.entry import LedgerEntry
from modules.loyalty.models.lot import Lot
from modules.loyalty.models.program import Program
from modules.loyalty.models.qualifying import Qualifying
from modules.loyalty.models.redemption import Redemption
from modules.loyalty.models.rule import EarnRule
from modules.loyalty.models.tier import Tier

__all__ = ["Account", "Allocation", "EarnRule", "LedgerEntry", "Lot", "Program", "Qualifying", "Redemption", "Tier"]
