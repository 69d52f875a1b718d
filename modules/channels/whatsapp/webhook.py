"""The Graph API's webhook body, cut into one raw item per message or status, and each item read
as an `Inbound`.

A notification is `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {"metadata": {"phone_number_id"}, "contacts": [...], "messages": [...],
"statuses": [...]}}]}]}`: one POST can carry several messages and statuses, of several numbers
of the same business account. `split` keeps those of the account's own number (another number's
items are not this account's to store) and writes each as `{"metadata", "contact", "message"}`
or `{"metadata", "status"}`, so the pipeline stores, dedupes (by wamid) and handles each alone.
"""

from __future__ import annotations

import json
from typing import Any, cast

from core.channels import Inbound, ParseError, Receipt, ReceiptState
from modules.channels.whatsapp.content import describe, dicts, media_of

MAX_SUBJECT = 80
NOBODY_WROTE = ("system", "request_welcome")  # a changed number, a chat opened: no question to answer
RECEIPT_STATES = ("sent", "delivered", "read", "failed")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ParseError("invalid_json") from None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _item(**parts: Any) -> bytes:
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()


def split(raw: bytes, phone_number_id: str) -> tuple[list[bytes], int]:
    """(the items for this number, how many items of other numbers were left out)."""
    body = _json(raw)
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        raise ParseError("not_whatsapp")
    items: list[bytes] = []
    foreign = 0
    for entry in dicts(body.get("entry")):
        for change in dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue  # template status, account updates...: nothing for a ticket
            metadata = _dict(value.get("metadata"))
            found = [*dicts(value.get("messages")), *dicts(value.get("statuses"))]
            if str(metadata.get("phone_number_id", "")) != phone_number_id:
                foreign += len(found)
                continue
            contacts = {str(c.get("wa_id")): c for c in dicts(value.get("contacts"))}
            for message in dicts(value.get("messages")):
                items.append(_item(metadata=metadata, contact=contacts.get(str(message.get("from"))),
                                   message=message))
            items.extend(_item(metadata=metadata, status=status) for status in dicts(value.get("statuses")))
    return items, foreign


def _receipt(status: dict[str, Any]) -> Inbound:
    """A status of one of our messages; one we do not track (Meta's `deleted`, `warning`) is kept
    and ignored like the others, moving nothing."""
    wamid, state = status.get("id"), status.get("status")
    if not isinstance(wamid, str) or not wamid or not isinstance(state, str):
        raise ParseError("invalid_status")
    errors = dicts(status.get("errors"))
    code = f"whatsapp_{errors[0].get('code')}" if errors else ("whatsapp_failed" if state == "failed" else None)
    title = str(errors[0].get("title", ""))[:255] if errors else None
    ref = status.get("biz_opaque_callback_data")
    receipts = (Receipt(provider_id=wamid, state=cast(ReceiptState, state), error=code, response=title,
                        ref=ref if isinstance(ref, str) and ref else None),) if state in RECEIPT_STATES else ()
    return Inbound(provider_id=f"status:{wamid}:{state[:32]}", sender="", sender_name="", subject="", body="",
                   automated="receipt", receipts=receipts)


def parse(raw: bytes) -> Inbound:
    """One item `split` wrote: a customer's message, or a status of one of ours."""
    item = _json(raw)
    if not isinstance(item, dict):
        raise ParseError("invalid_item")
    if isinstance(item.get("status"), dict):
        return _receipt(item["status"])
    message = item.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("id"), str) or not message.get("from"):
        raise ParseError("invalid_message")
    wa_id = str(message["from"]).lstrip("+")  # the number's digits: the conversation's id
    profile = _dict(_dict(item.get("contact")).get("profile"))
    body = describe(message)
    answers = _dict(message.get("context")).get("id")  # the message of ours it quotes, if any
    return Inbound(provider_id=message["id"], sender=f"+{wa_id}", sender_name=str(profile.get("name", "")),
                   subject=" ".join(body.split())[:MAX_SUBJECT], body=body,
                   thread_ids=(answers,) if isinstance(answers, str) and answers else (),
                   conversation_id=wa_id, sender_type="phone", media=media_of(message),
                   automated="system" if message.get("type") in NOBODY_WROTE else None)
