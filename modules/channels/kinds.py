"""The channel kinds the channels module brings itself (partners' modules list their own)."""

from modules.channels.form import WEB_FORM
from modules.channels.mail import EMAIL

kinds = (EMAIL, WEB_FORM)
