"""The e-mail channel kind: raw MIME in (a provider's forward, later IMAP), SMTP out."""

from core.channels import ChannelKind, CredentialField
from core.i18n import N_
from modules.channels.mail.parse import parse
from modules.channels.mail.send import new_message_id, send

EMAIL = ChannelKind(
    name="email",
    label=N_("E-mail"),
    ticket_channel="email",
    credentials=(
        CredentialField("smtp_host", required=True, label=N_("SMTP server")),
        CredentialField("smtp_port", "integer", default=587, label=N_("SMTP port")),
        CredentialField("smtp_security", choices=("starttls", "tls", "none"), default="starttls",
                        label=N_("SMTP security: starttls, tls or none")),
        CredentialField("smtp_username", label=N_("SMTP user")),
        CredentialField("smtp_password", secret=True, label=N_("SMTP password")),
    ),
    parse=parse,
    send=send,
    new_provider_id=new_message_id,
    sender_limit=(30, 3600),  # a person writes fewer mails an hour; an auto-responder loop many more
)
