"""Order numbers as buyers quote them in free text (a mail's subject and body), per platform.

The formats the marketplaces print on every order page and mail: Amazon `123-1234567-1234567`,
eBay `12-34567-89012`, a Shopify (or own shop) `#1001`. A number found here links nothing by
itself: `find_customer_order` accepts it only when the order is the sender's own, so a buyer who
quotes someone else's number reaches no one's data.
"""

from __future__ import annotations

import re

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("amazon", re.compile(r"(?<![\d-])\d{3}-\d{7}-\d{7}(?![\d-])")),
    ("ebay", re.compile(r"(?<![\d-])\d{2}-\d{5}-\d{5}(?![\d-])")),
    ("shop", re.compile(r"(?<![\w#&])#\d{3,12}(?!\d)")),  # "#1001"; "&#1234;" is an HTML entity
)
MAX_NUMBERS = 10  # a mail quoting more is a list, not an order question


def order_numbers_in(*texts: str) -> list[str]:
    """The order numbers in these texts, first seen first (the subject before the body), at most
    MAX_NUMBERS, without repeats."""
    found: dict[str, int] = {}
    for text in texts:
        hits = [(m.start(), m.group(0)) for _, pattern in PATTERNS for m in pattern.finditer(text or "")]
        for _, number in sorted(hits):
            found.setdefault(number, len(found))
            if len(found) >= MAX_NUMBERS:
                return list(found)
    return list(found)
