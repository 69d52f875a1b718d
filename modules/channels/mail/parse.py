"""Raw MIME to one normalised inbound message, with the standard library (policy=default).

Automated mail is recognised from its headers (RFC 3834 Auto-Submitted, Precedence, the
X-Autoreply family, List-Id) and from a delivery status report (RFC 3464 multipart/report), so
that it never opens a ticket nor gets an answer.
"""

from __future__ import annotations

import re
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser

from core.channels import Inbound, InboundFile, ParseError

MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
RETURNED_ID = re.compile(r"^Message-ID:\s*(<[^<>\s]{1,250}>)", re.IGNORECASE | re.MULTILINE)
MAX_THREAD_IDS = 50
MAX_FILES = 20  # as many as a ticket message takes


def message_ids(value: str | None) -> tuple[str, ...]:
    """The <id@host> tokens of a Message-ID, In-Reply-To or References header, in order."""
    return tuple(dict.fromkeys(MESSAGE_ID.findall(value or "")))


def automated(msg: EmailMessage) -> str | None:
    """Why no person wrote this (auto_reply, list, bounce), or None."""
    if msg.get_content_type() == "multipart/report" or msg.get("X-Failed-Recipients"):
        return "bounce"
    sender = str(msg.get("From", "")).lower()
    if sender.startswith(("mailer-daemon@", "postmaster@")) or "<mailer-daemon@" in sender:
        return "bounce"
    if str(msg.get("Auto-Submitted", "no")).strip().lower() not in ("", "no"):
        return "auto_reply"
    if any(msg.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        return "auto_reply"
    if str(msg.get("Precedence", "")).strip().lower() in ("bulk", "list", "junk", "auto_reply"):
        return "list"
    if msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return "list"
    return None


def bounced_ids(msg: EmailMessage) -> tuple[str, ...]:
    """The Message-IDs a delivery report is about: its returned headers' Message-ID."""
    found: list[str] = []
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            text = payload.as_string() if isinstance(payload, Message) else str(
                payload[0] if isinstance(payload, list) and payload else payload)
            found += [m.group(1) for m in RETURNED_ID.finditer(text)]
    return tuple(dict.fromkeys(found))


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        content = re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", " ", content))
    return content.strip()


def _files(msg: EmailMessage) -> tuple[InboundFile, ...]:
    """The mail's attachments (inline pictures with a file name included), at most MAX_FILES:
    whether each is kept is the pipeline's decision (type, size)."""
    found: list[InboundFile] = []
    for part in msg.iter_attachments():
        if not isinstance(part, EmailMessage) or part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        name = " ".join(str(part.get_filename() or "").split())[:255] or "attachment"
        found.append(InboundFile(name=name, claimed_type=part.get_content_type()[:100], data=data))
        if len(found) == MAX_FILES:  # the raw mail, kept whole, still has the rest
            break
    return tuple(found)


def _sender(msg: EmailMessage) -> tuple[str, str]:
    header = msg.get("From")
    addresses: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
    if not addresses or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
        raise ParseError("no_sender")
    first = addresses[0]
    return first.addr_spec, first.display_name


def parse(raw: bytes) -> Inbound:
    """Raises ParseError with a code (never the content) when the bytes are not a usable mail."""
    if not raw.strip():
        raise ParseError("empty")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        if not isinstance(msg, EmailMessage) or not msg.keys():
            raise ParseError("no_headers")
        if msg.defects and not msg.get("From"):
            raise ParseError("malformed")
        kind = automated(msg)
        address, name = _sender(msg) if kind != "bounce" else (str(msg.get("From", "")), "")
        refs = [*message_ids(str(msg.get("References", ""))), *message_ids(str(msg.get("In-Reply-To", "")))]
        ids = message_ids(str(msg.get("Message-ID", "")))
        return Inbound(
            provider_id=ids[0] if ids else None, sender=address, sender_name=name,
            subject=" ".join(str(msg.get("Subject", "")).split()), body=_text(msg) if kind is None else "",
            thread_ids=tuple(dict.fromkeys(refs))[-MAX_THREAD_IDS:], automated=kind,
            bounced_ids=bounced_ids(msg) if kind == "bounce" else (), files=_files(msg) if kind is None else ())
    except ParseError:
        raise
    except (HeaderParseError, LookupError, UnicodeError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise ParseError(f"malformed_{type(exc).__name__}"[:64]) from None
