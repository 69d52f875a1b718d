"""The e-mail channel kind: raw MIME in (a provider's forward to the webhook, or IMAP polling when
`imap_host` is set), SMTP out."""

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
        # IMAP: set imap_host and the worker reads the folder (modules.channels.services.polling);
        # without it the mailbox receives through the webhook only. The defaults (tls, 993 or 143,
        # INBOX) are applied when polling, so an account without IMAP lists no IMAP credential.
        CredentialField("imap_host", label=N_("IMAP server (leave empty to receive through the webhook only)")),
        CredentialField("imap_port", "integer", label=N_("IMAP port (default 993 with tls, 143 otherwise)")),
        CredentialField("imap_security", choices=("tls", "starttls", "none"),
                        label=N_("IMAP security: tls (default), starttls or none")),
        CredentialField("imap_username", label=N_("IMAP user")),
        CredentialField("imap_password", secret=True, label=N_("IMAP password")),
        CredentialField("imap_folder", label=N_("IMAP folder to read (default INBOX)")),
    ),
    parse=parse,
    send=send,
    new_provider_id=new_message_id,
    sender_limit=(30, 3600),  # a person writes fewer mails an hour; an auto-responder loop many more
)
