"""The channels module's public services: accounts, the inbound pipeline, reply delivery."""

from modules.channels.services.accounts import AccountInput, create_account, get_account, update_account
from modules.channels.services.forms import WebForm, web_forms
from modules.channels.services.inbound import Outcome, receive
from modules.channels.services.media import media_refs
from modules.channels.services.outbound import DELIVER, deliver, prepare

__all__ = ["DELIVER", "AccountInput", "Outcome", "WebForm", "create_account", "deliver", "get_account", "media_refs",
           "prepare", "receive", "update_account", "web_forms"]
