"""Replies over SMTP with aiosmtplib, from the account's address, threaded by Message-ID.

SMTP cannot promise exactly once: when the server accepted a mail and the worker died before it
recorded so, the retry sends it again, under the same Message-ID, which mail clients use to show
it once. A 4xx reply, a refused or dropped connection or a timeout is temporary (the outbox
retries with back-off); a 5xx reply (a refused login: 535) is permanent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

import aiosmtplib

from core.channels import Account, Outbound, PermanentFailure, Sent, TemporaryFailure

TIMEOUT = 30.0
MAX_REFERENCES = 20  # the newest ones: a long thread must not grow the header without bound


def new_message_id(account: Account) -> str:
    return make_msgid(domain=account.address.rpartition("@")[2] or "sellercare.invalid")


def build(account: Account, message: Outbound) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr((account.name, account.address))
    mail["To"] = formataddr((message.to_name, message.to))
    if account.reply_to:
        mail["Reply-To"] = account.reply_to
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message.provider_id
    if message.in_reply_to:
        mail["In-Reply-To"] = message.in_reply_to
    if message.references:
        mail["References"] = " ".join(message.references[-MAX_REFERENCES:])
    mail["Auto-Submitted"] = "no"
    if message.language:
        mail["Content-Language"] = message.language
    mail.set_content(message.body)
    return mail


def _options(credentials: Any) -> dict[str, Any]:
    security = credentials.get("smtp_security", "starttls")
    return {
        "hostname": credentials.get("smtp_host"), "port": int(credentials.get("smtp_port") or 587),
        "username": credentials.get("smtp_username") or None, "password": credentials.get("smtp_password") or None,
        "use_tls": security == "tls", "start_tls": security == "starttls",
        "timeout": TIMEOUT,
    }


def _failure(code: int, text: str) -> TemporaryFailure | PermanentFailure:
    response = f"{code} {text}"[:255]
    cls = TemporaryFailure if 400 <= code < 500 else PermanentFailure
    return cls(f"smtp_{code}", response)


async def send(account: Account, message: Outbound) -> Sent:
    mail = build(account, message)
    try:
        _, response = await aiosmtplib.send(mail, sender=account.address, recipients=[message.to],
                                            **_options(account.credentials))
    except aiosmtplib.SMTPRecipientsRefused as exc:
        first = exc.recipients[0] if exc.recipients else None
        raise _failure(first.code if first else 550, first.message if first else "") from None
    except aiosmtplib.SMTPResponseException as exc:
        raise _failure(exc.code, exc.message) from None
    except (aiosmtplib.SMTPTimeoutError, TimeoutError):
        raise TemporaryFailure("timeout") from None
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, ConnectionError, OSError):
        raise TemporaryFailure("connection_failed") from None
    except aiosmtplib.SMTPException:
        raise TemporaryFailure("smtp_error") from None
    return Sent(response=response[:255])
