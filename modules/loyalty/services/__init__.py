"""The loyalty module's public services: other modules, scripts and jobs call these."""

from modules.loyalty.services.adjustments import adjust_points
from modules.loyalty.services.balances import Balance, balance_of, balances_of
from modules.loyalty.services.clawback import clawback_for_refund, clawback_order
from modules.loyalty.services.codes import CodeIssuer, register_issuer
from modules.loyalty.services.earning import earn_for_order
from modules.loyalty.services.expiry import expire_due, expire_program
from modules.loyalty.services.programs import ProgramInput, get_program, require_program, set_program
from modules.loyalty.services.redemptions import confirm_redemption, release_redemption, reserve_points

__all__ = ["Balance", "CodeIssuer", "ProgramInput", "adjust_points", "balance_of", "balances_of",
           "clawback_for_refund", "clawback_order", "confirm_redemption", "earn_for_order", "expire_due",
           "expire_program", "get_program", "register_issuer", "release_redemption", "require_program",
           "reserve_points", "set_program"]
