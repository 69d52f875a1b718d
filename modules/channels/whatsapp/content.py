"""What a WhatsApp message says, as the text of a ticket message, and the media it carries.

Text is the customer's own words; media (image, document, audio, video, sticker) is kept as a
reference (`MediaRef`: the Graph API's media id, MIME type, sha256, file name and caption) and
named in the text, so an agent sees that a photo came before its bytes are fetched. A location,
shared contacts and a tapped button or list row become text. Markers are in brackets, in
English, like the headers of a mail: they are part of the record, not of the interface.
"""

from __future__ import annotations

from typing import Any

from core.channels import MediaRef

MEDIA = ("image", "document", "audio", "video", "sticker")


def _part(message: dict[str, Any], name: str) -> dict[str, Any]:
    value = message.get(name)
    return value if isinstance(value, dict) else {}


def dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list (a provider's list may hold anything)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def media_of(message: dict[str, Any]) -> tuple[MediaRef, ...]:
    kind = message.get("type")
    part = _part(message, str(kind))
    if kind not in MEDIA or not isinstance(part.get("id"), str):
        return ()
    return (MediaRef(kind=str(kind), media_id=part["id"], mime_type=str(part.get("mime_type", "")),
                     sha256=str(part.get("sha256", "")), filename=str(part.get("filename", "")),
                     caption=str(part.get("caption", ""))),)


def _location(part: dict[str, Any]) -> str:
    place = ", ".join(str(part[k]) for k in ("name", "address") if part.get(k))
    where = f"{part.get('latitude')}, {part.get('longitude')}"
    return f"[location] {place} ({where})" if place else f"[location] {where}"


def _contacts(message: dict[str, Any]) -> str:
    lines = []
    for person in dicts(message.get("contacts")):
        name = _part(person, "name").get("formatted_name", "")
        phones = [str(p["phone"]) for p in dicts(person.get("phones")) if p.get("phone")]
        lines.append(" ".join([str(name), *phones]).strip())
    return "[contacts] " + "; ".join(line for line in lines if line)


def _interactive(part: dict[str, Any]) -> str:
    chosen = _part(part, str(part.get("type")))
    return " - ".join(str(chosen[k]) for k in ("title", "description") if chosen.get(k))


def describe(message: dict[str, Any]) -> str:
    """The message as text (an empty string for a type with nothing to show)."""
    kind = str(message.get("type", ""))
    part = _part(message, kind)
    if kind == "text":
        return str(part.get("body", ""))
    if kind in MEDIA:
        label = f"[{kind}: {part['filename']}]" if part.get("filename") else f"[{kind}]"
        return f"{label} {part.get('caption', '')}".strip()
    if kind == "location":
        return _location(part)
    if kind == "contacts":
        return _contacts(message)
    if kind == "interactive":
        return _interactive(part)
    if kind == "button":
        return str(part.get("text", ""))
    if kind == "reaction":
        return f"[reaction] {part.get('emoji', '')}".strip()
    return f"[{kind or 'unknown'} message]"
