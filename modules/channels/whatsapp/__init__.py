"""The WhatsApp Business Cloud API channel kind: Meta's signed webhooks in (messages, media and
delivery receipts), replies and templates out through the Graph API, within WhatsApp's 24-hour
customer-service window.

Its webhook has its own routes (whatsapp.http): Meta proves itself with a signature and a verify
token, not with the channel's inbound token, which this kind does not use.
"""

import uuid

from core.channels import ChannelKind, CredentialField
from core.i18n import N_
from modules.channels.whatsapp.graph import send
from modules.channels.whatsapp.media import fetch_media
from modules.channels.whatsapp.webhook import parse
from modules.channels.whatsapp.window import check_reply

KIND = "whatsapp"

WHATSAPP = ChannelKind(
    name=KIND,
    label=N_("WhatsApp messages"),
    ticket_channel="whatsapp",
    credentials=(
        CredentialField("phone_number_id", required=True, label=N_("Phone number ID (Meta's, not the number)")),
        CredentialField("access_token", required=True, secret=True, label=N_("Access token")),
        CredentialField("app_secret", required=True, secret=True, label=N_("App secret (signs the webhooks)")),
        CredentialField("verify_token", required=True, secret=True,
                        label=N_("Verify token (the one typed into Meta's webhook settings)")),
    ),
    parse=parse,
    send=send,
    new_provider_id=lambda account: f"sc-{uuid.uuid4().hex}",
    address="phone",
    check_reply=check_reply,
    inbound_token=False,
    templates=True,
    fetch_media=fetch_media,
)
