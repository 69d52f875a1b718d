"""Characters no stored text may hold.

PostgreSQL refuses NUL in text while SQLite stores it, a lone surrogate (JSON lets a client send
"\\ud800") cannot be encoded as UTF-8 at all, and the other C0 and C1 control characters are never
what a person typed into a name, a note or a reply. Tab, line feed and carriage return are text.
One rule for both databases and every entry point (GraphQL, imports, channels).
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """The first character of `text` that stored text may not hold, or None."""
    match = _FORBIDDEN.search(text)
    return match.group() if match else None


def codepoint(char: str) -> str:
    """U+0000 notation, for messages that must not echo an invisible character."""
    return f"U+{ord(char):04X}"
