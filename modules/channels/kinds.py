"""The channel kinds the channels module brings itself (partners' modules list their own)."""

from modules.channels.form import WEB_FORM
from modules.channels.mail import EMAIL
from modules.channels.whatsapp import WHATSAPP

kinds = (EMAIL, WEB_FORM, WHATSAPP)
